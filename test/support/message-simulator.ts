import { inject } from "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    /** test/global-setup.ts starts the simulator (scripts/lib/message-simulator.ts, Node-side); its base URL. */
    messageSimulatorUrl: string;
  }
}

/**
 * The messaging provider's simulator seen from inside workerd: Solapi's API with the development
 * credentials (`simulator_local_key` / `simulator_local_development_only`), posting its delivery reports
 * to the relay sink under the key `message-receipts` 50 ms after a send.
 */
export const messageSimulatorUrl = inject("messageSimulatorUrl");
export const messageReceiptsKey = "message-receipts";
