/** What every benchmark returns to `npm run bench` (bench/run.ts prints and stores it). */
export interface BenchResult {
  name: string;
  /** Measured values, named with their unit (e.g. `throughput_rps`, `p99_ms`). */
  metrics: Record<string, number | string>;
  /** Each target of the issue, and whether this run met it. */
  targets: { name: string; met: boolean; detail: string }[];
}

export interface Bench {
  name: string;
  run(options: { databaseUrl: string; quick: boolean }): Promise<BenchResult>;
}
