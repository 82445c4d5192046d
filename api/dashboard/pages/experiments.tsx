import type { FC } from "hono/jsx";
import type { HashIds } from "../../../domain/core/hash-ids.ts";
import type { DashboardExperiment } from "../../../domain/dashboard/experiments.ts";
import { intervalPlot } from "../charts.ts";
import { DataTable, IntervalSvg } from "../components.tsx";
import { integer, percent, points } from "../format.ts";

const size = { width: 520, height: 120, margin: { top: 8, right: 44, bottom: 24, left: 110 } };

const verdictClass = (kind: string): string =>
  kind === "winner" ? "badge good" : kind === "not_yet" ? "badge" : "badge";

export const ExperimentsTab: FC<{ experiments: DashboardExperiment[]; ids: HashIds }> = ({
  experiments,
  ids,
}) => (
  <>
    <h2>Experiments</h2>
    <p class="note">
      Each experiment's latest nightly evaluation: per arm its customers and conversions (intent to treat),
      the lift over the control with its confidence interval, the sample-ratio-mismatch check and the verdict.
    </p>
    {experiments.length === 0 ? <p>This brand has no experiments yet.</p> : null}
    {experiments.map((experiment) => {
      const ref = ids.encode("experiment", experiment.id);
      const latest = experiment.latest;
      if (!latest)
        return (
          <section id={`experiment-${ref}`}>
            <h3>
              {experiment.key} · {experiment.campaignName}
            </h3>
            <p>Not evaluated yet: the nightly experiment evaluation has not run since the launch.</p>
          </section>
        );
      const evaluation = latest.evaluation;
      const compared = evaluation.arms.flatMap((arm) =>
        arm.comparison?.lift
          ? [
              {
                label: arm.arm,
                estimate: arm.comparison.lift.absolute.estimate,
                lower: arm.comparison.lift.absolute.lower,
                upper: arm.comparison.lift.absolute.upper,
              },
            ]
          : [],
      );
      const confidence = `${Math.round((1 - experiment.alpha) * 100)}%`;
      return (
        <section id={`experiment-${ref}`}>
          <h3>
            {experiment.key} · {experiment.campaignName}{" "}
            <span class={verdictClass(latest.verdict)} data-verdict={latest.verdict}>
              {latest.verdict}
            </span>{" "}
            {evaluation.srm.mismatch ? (
              <span class="badge warn" data-srm="mismatch">
                sample ratio mismatch
              </span>
            ) : (
              <span class="badge" data-srm="ok">
                no sample ratio mismatch
              </span>
            )}
          </h3>
          <p class="note">
            As of {latest.asOf}. {evaluation.verdict.reason}
            {evaluation.verdict.reason.endsWith(".") ? "" : "."} SRM p = {evaluation.srm.p.toPrecision(3)}.
            Minimum sample {integer(evaluation.minimumSampleSize)} per arm.
          </p>
          {compared.length > 0 ? (
            <IntervalSvg
              chart={intervalPlot({
                rows: compared,
                size: { ...size, height: 40 + compared.length * 36 },
                format: points,
              })}
              title={`Lift over the control with its ${confidence} interval`}
              description={compared
                .map(
                  (row) =>
                    `${row.label}: ${points(row.estimate)} (${points(row.lower)} to ${points(row.upper)})`,
                )
                .join("; ")}
              format={points}
            />
          ) : null}
          <DataTable
            id={`experiment-arms-${ref}`}
            caption={`Arms of ${experiment.key}`}
            head={[
              "Arm",
              "Role",
              "Customers",
              "Conversions",
              "Rate",
              "Lift",
              "Lower",
              "Upper",
              "p (adjusted)",
            ]}
            rows={evaluation.arms.map((arm) => {
              const lift = arm.comparison?.lift?.absolute;
              return [
                arm.arm,
                arm.role,
                integer(arm.n),
                integer(arm.conversions),
                percent(arm.rate),
                lift ? points(lift.estimate) : "—",
                lift ? points(lift.lower) : "—",
                lift ? points(lift.upper) : "—",
                arm.comparison ? arm.comparison.adjustedP.toPrecision(3) : "—",
              ];
            })}
          />
        </section>
      );
    })}
  </>
);
