import type { FC } from "hono/jsx";
import type { HashIds } from "../../../domain/core/hash-ids.ts";
import type { DashboardCohort } from "../../../domain/dashboard/cohorts.ts";
import type { Heatmap } from "../../../domain/rfm/heatmap.ts";
import { heatColor, heatTextColor } from "../charts.ts";
import { DataTable } from "../components.tsx";
import { integer, money, percent } from "../format.ts";
import { CurrencyPicker } from "./shared.tsx";

export interface CohortsTabProps {
  brandRef: string;
  heatmap: Heatmap | null;
  currencies: string[];
  cohorts: DashboardCohort[];
  ids: HashIds;
  /** The cohort a heatmap click just made, and its member count then. */
  created: { ref: string; members: number | null } | null;
}

const scores = [1, 2, 3, 4, 5] as const;

export const CohortsTab: FC<CohortsTabProps> = (props) => {
  const heatmap = props.heatmap;
  const largest = heatmap ? Math.max(0, ...heatmap.cells.map((cell) => cell.count)) : 0;
  const cell = (r: number, f: number) => heatmap?.cells.find((c) => c.r === r && c.f === f);
  return (
    <>
      <h2>Cohorts and RFM</h2>
      {props.created ? (
        <p role="status" id="created-cohort">
          Cohort <a href={`#cohort-${props.created.ref}`}>{props.created.ref}</a> saved
          {props.created.members === null
            ? ""
            : ` with ${integer(props.created.members)} ${props.created.members === 1 ? "member" : "members"} now`}
          .
        </p>
      ) : null}
      <section aria-labelledby="heatmap-title">
        <h3 id="heatmap-title">
          R × F heatmap{heatmap?.currency ? ` (${heatmap.currency})` : ""}
          {heatmap?.asOf ? `, scores as of ${heatmap.asOf}` : ""}
        </h3>
        <CurrencyPicker
          tab="cohorts"
          brandRef={props.brandRef}
          currencies={props.currencies}
          currency={heatmap?.currency ?? null}
        />
        {heatmap && heatmap.accounts > 0 ? (
          <>
            <p class="note">
              {integer(heatmap.accounts)} scored accounts. Recency down (5 = most recent at the top),
              frequency across. Click a cell to save its accounts as a cohort.
            </p>
            <fieldset class="heatmap">
              <legend class="visually-hidden">R × F cells: each saves a cohort</legend>
              <div class="axis-label">R \ F</div>
              {scores.map((f) => (
                <div class="axis-label">F{f}</div>
              ))}
              {[...scores].reverse().map((r) => (
                <>
                  <div class="axis-label">R{r}</div>
                  {scores.map((f) => {
                    const here = cell(r, f);
                    const count = here?.count ?? 0;
                    return (
                      <form method="post" action="/dashboard/rfm/cell">
                        <input type="hidden" name="brand" value={props.brandRef} />
                        <input type="hidden" name="r" value={String(r)} />
                        <input type="hidden" name="f" value={String(f)} />
                        <button
                          type="submit"
                          data-cell={`R${r}F${f}`}
                          style={`background:${heatColor(count, largest)};color:${heatTextColor(count, largest)}`}
                          aria-label={`Save R${r} F${f} as a cohort: ${count} accounts, ${here?.segment ?? ""}`}
                          title={`${here?.segment ?? ""}: ${count} accounts`}
                        >
                          {integer(count)}
                          <br />
                          {percent(here?.share ?? 0)}
                        </button>
                      </form>
                    );
                  })}
                </>
              ))}
            </fieldset>
            <DataTable
              id="heatmap-cells"
              caption="R × F cells"
              head={["Cell", "Segment", "Accounts", "Share", "Average monetary"]}
              rows={heatmap.cells.map((c) => [
                `R${c.r} F${c.f}`,
                c.segment,
                integer(c.count),
                percent(c.share),
                c.avgMonetary === null ? "—" : money(c.avgMonetary, heatmap.currency),
              ])}
            />
          </>
        ) : (
          <p>No scored accounts yet: the nightly RFM scores have not run for this brand.</p>
        )}
      </section>
      <section aria-labelledby="cohorts-title">
        <h3 id="cohorts-title">Cohorts</h3>
        <p class="note">
          The count is the latest snapshot's member count (frozen when it was taken); a cohort without a
          snapshot has no stored count.
        </p>
        {props.cohorts.length === 0 ? (
          <p>No cohorts yet.</p>
        ) : (
          <table id="cohort-list">
            <caption>Cohorts, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Cohort</th>
                <th scope="col">Id</th>
                <th scope="col">Refresh</th>
                <th scope="col">Snapshots</th>
                <th scope="col">Members (latest snapshot)</th>
                <th scope="col">Latest snapshot taken</th>
              </tr>
            </thead>
            <tbody>
              {props.cohorts.map((cohort) => {
                const ref = props.ids.encode("cohort", cohort.id);
                return (
                  <tr id={`cohort-${ref}`}>
                    <th scope="row">{cohort.name}</th>
                    <td>{ref}</td>
                    <td>{cohort.refresh}</td>
                    <td>{integer(cohort.snapshots)}</td>
                    <td>{cohort.latest ? integer(cohort.latest.memberCount) : "—"}</td>
                    <td>
                      {cohort.latest
                        ? `${cohort.latest.takenAt.toISOString().slice(0, 16).replace("T", " ")} UTC (${cohort.latest.source})`
                        : "—"}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
};
