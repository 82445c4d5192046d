import { liveCampaigns, recoverCartsOfRunningCampaigns, writeFunnelDay } from "../funnel/nightly.ts";
import { endOfDate, startOfDate } from "./dates.ts";
import type { BatchJob } from "./job.ts";

/**
 * The eight-stage funnel per campaign and arm as of the end of the run date (domain/funnel), into
 * message_funnel_daily. The first chunk marks the recovered abandoned carts of every brand with a running
 * campaign (domain/commerce/carts.ts), so the night's cart state is current; then campaigns in id order,
 * `limit` a chunk: every campaign running or paused, or completed while its goal window reached into the
 * date. Per campaign the visits' read and one INSERT … SELECT of its arms' counts. Idempotent for a date: a
 * re-run over the same data writes nothing (unchanged rows are left alone); other dates are never touched.
 * A chunk's rows are the campaigns it counted. It runs at 04:00, after the other jobs of the night.
 */
export const messageFunnelJob: BatchJob = {
  name: "message-funnel",
  summary: "Counts the eight funnel stages per campaign and arm as of the end of the date.",
  cron: "0 4 * * *",
  chunkSize: 50,
  async chunk({ tx, date, settings, limit, after }) {
    const alphabet = settings.sqidsAlphabet;
    if (alphabet === undefined)
      throw new Error("message-funnel needs SQIDS_ALPHABET to read the tracked links of landing captures");
    if (after === null) await recoverCartsOfRunningCampaigns(tx);
    const window = { start: startOfDate(date), end: endOfDate(date) };
    const campaigns = await liveCampaigns(tx, window, after, limit);
    for (const campaign of campaigns) await writeFunnelDay(tx, campaign, date, window.end, alphabet);
    const last = campaigns[campaigns.length - 1];
    return { rows: campaigns.length, done: campaigns.length < limit, next: last ? last.id : after };
  },
};
