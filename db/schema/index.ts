export * from "./billing.ts";
export * from "./capture.ts";
export * from "./catalog.ts";
export * from "./identity.ts";
export * from "./ops.ts";
export * from "./relay.ts";
export * from "./sales.ts";
export * from "./subscriptions.ts";
