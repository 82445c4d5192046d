import { liveExperiments, writeExperimentDay } from "../funnel/nightly.ts";
import { endOfDate, startOfDate } from "./dates.ts";
import type { BatchJob } from "./job.ts";

/**
 * Each experiment's look for the run date (domain/funnel/nightly.ts): counts per arm as of the end of the
 * date (n = the arm's members, conversions = purchased in the goal window; one statement per experiment)
 * into experiment_daily_counts, and `evaluate()` over them with the earlier dates' counts as the sequential
 * looks into experiment_evaluations. Experiments of campaigns running or paused, or completed while their goal
 * window reached into the date, in id order, `limit` a chunk. Idempotent for a date: a re-run over the same
 * data writes nothing. A chunk's rows are the experiments it evaluated. It runs at 04:00 after
 * `message-funnel`.
 */
export const experimentEvaluationJob: BatchJob = {
  name: "experiment-evaluation",
  summary:
    "Counts each experiment's arms as of the end of the date and evaluates them with the earlier looks.",
  cron: "0 4 * * *",
  chunkSize: 100,
  async chunk({ tx, date, limit, after }) {
    const window = { start: startOfDate(date), end: endOfDate(date) };
    const experiments = await liveExperiments(tx, window, after, limit);
    for (const experiment of experiments) await writeExperimentDay(tx, experiment, date, window.end);
    const last = experiments[experiments.length - 1];
    return { rows: experiments.length, done: experiments.length < limit, next: last ? last.id : after };
  },
};
