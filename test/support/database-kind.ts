import { inject } from "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    /** test/global-setup.ts: `embedded` (PGlite) or `external` (the server of DATABASE_URL). */
    databaseKind: string;
  }
}

/** PGlite serves one transaction at a time: tests of overlapping transactions need a real server. */
export const onEmbeddedDatabase = inject("databaseKind") === "embedded";
