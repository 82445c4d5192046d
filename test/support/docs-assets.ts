import { inject } from "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    /** test/global-setup.ts: the installed API reference bundle, as the Worker should serve it. */
    apiReferenceBundle: { bytes: number; sha256: string };
  }
}

/** Size and SHA-256 (hex) of @scalar/api-reference's browser bundle in node_modules. */
export const installedApiReferenceBundle = inject("apiReferenceBundle");
