/**
 * Where the API reference's browser bundle is served from. The file is copied from node_modules into the
 * Worker's static assets by scripts/build-assets.ts, and only paths under this prefix are handed to the
 * assets binding, so no asset can ever answer an edge or API path.
 */
export const docsAssetsPrefix = "/docs/assets/";

/** Scalar's standalone API reference (@scalar/api-reference's dist/browser/standalone.js). */
export const apiReferenceBundlePath = `${docsAssetsPrefix}scalar-api-reference.js`;
