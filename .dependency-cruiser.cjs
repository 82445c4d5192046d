/**
 * The direction of imports (DESIGN.md): workers → api | queues → domain → db. A helper two layers need lives
 * in the lower one. scripts/ may use every layer, bench/ anything; nothing the Worker runs imports scripts/,
 * bench/ or test/, and test/ may import scripts/ and bench/ (the tooling it tests). Inside domain/, core/
 * (errors, verbs, ids, hashing) and platform/ (the Worker's bindings) stand below every area.
 * `npm run lint` runs it; a broken rule fails CI.
 */
const product = "^(workers|api|queues|domain|db)/";
const outside = "^(scripts|bench|test)/";
const sideBySide =
  "api/ and queues/ are callers of the domain side by side; what both need lives in domain/ or db/.";

module.exports = {
  forbidden: [
    {
      name: "db-stands-alone",
      comment: "db/ is the bottom layer: schema, client, SQL helpers.",
      severity: "error",
      from: { path: "^db/" },
      to: { path: "^(workers|api|queues|domain)/" },
    },
    {
      name: "domain-stands-on-db",
      comment: "The business does not depend on its callers.",
      severity: "error",
      from: { path: "^domain/" },
      to: { path: "^(workers|api|queues)/" },
    },
    {
      name: "domain-core-below-areas",
      comment: "core/ and platform/ serve every area, so they import no area.",
      severity: "error",
      from: { path: "^domain/(core|platform)/" },
      to: { path: "^domain/", pathNot: "^domain/(core|platform)/" },
    },
    {
      name: "api-and-queues-apart",
      comment: sideBySide,
      severity: "error",
      from: { path: "^api/" },
      to: { path: "^(workers|queues)/" },
    },
    {
      name: "queues-and-api-apart",
      comment: sideBySide,
      severity: "error",
      from: { path: "^queues/" },
      to: { path: "^(workers|api)/" },
    },
    {
      name: "product-imports-no-tooling",
      comment: "What the Worker runs never imports the local tooling, the benchmarks or the tests.",
      severity: "error",
      from: { path: product },
      to: { path: outside },
    },
    {
      name: "scripts-do-not-import-bench-or-tests",
      severity: "error",
      from: { path: "^scripts/" },
      to: { path: "^(bench|test)/" },
    },
    {
      name: "no-unresolvable",
      comment: "An import that resolves to nothing would hide an edge from these rules.",
      severity: "error",
      from: {},
      to: { couldNotResolve: true, pathNot: "^cloudflare:" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(node_modules|\\.wrangler|\\.data|dist|coverage)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
    },
  },
};
