import type { FC } from "hono/jsx";
import type { HashIds } from "../../../domain/core/hash-ids.ts";
import {
  type DashboardCampaign,
  liveFunnelHours,
  liveFunnelMembers,
} from "../../../domain/dashboard/campaigns.ts";
import { funnelStages } from "../../../domain/funnel/funnel.ts";
import { horizontalBars } from "../charts.ts";
import { DataTable, HorizontalBarsSvg, palette } from "../components.tsx";
import { integer } from "../format.ts";

const size = { width: 420, height: 230, margin: { top: 8, right: 48, bottom: 24, left: 72 } };

function sourceNote(campaign: DashboardCampaign): string {
  if (campaign.source === "stored")
    return `Stored: the nightly message-funnel count as of the end of ${campaign.asOf} (one row per arm, the same cost at any size).`;
  if (campaign.source === "live")
    return `Live: counted now (${campaign.asOf}), because no night has counted it yet, it was launched in the last ${liveFunnelHours} hours and it has at most ${integer(liveFunnelMembers)} members.`;
  if (campaign.launchedAt === null) return "Not launched: no members, no funnel yet.";
  return `No stored count: the nightly message-funnel job counts a running campaign after its first night; this one is too large (over ${integer(liveFunnelMembers)} members) or too old (launched over ${liveFunnelHours} hours ago) to count during the page.`;
}

export const CampaignsTab: FC<{ campaigns: DashboardCampaign[]; ids: HashIds }> = ({ campaigns, ids }) => (
  <>
    <h2>Campaigns and funnel</h2>
    <p class="note">
      The brand's newest message campaigns with the eight funnel stages per arm: targeted, sent, delivered,
      opened, clicked, visited, carted, purchased.
    </p>
    {campaigns.length === 0 ? <p>This brand has no message campaigns yet.</p> : null}
    {campaigns.map((campaign) => {
      const ref = ids.encode("messageCampaign", campaign.id);
      return (
        <section id={`campaign-${ref}`} aria-labelledby={`campaign-${ref}-name`}>
          <h3 id={`campaign-${ref}-name`}>
            {campaign.name} <span class="badge">{campaign.status}</span>{" "}
            <span class="badge" data-funnel-source={campaign.source}>
              {campaign.source}
            </span>
          </h3>
          <p class="note">{sourceNote(campaign)}</p>
          {campaign.arms.length > 0 && campaign.source !== "none" ? (
            <>
              <div class="charts">
                {campaign.arms.map((arm, index) => (
                  <HorizontalBarsSvg
                    chart={horizontalBars({
                      labels: [...funnelStages],
                      values: funnelStages.map((stage) => arm[stage]),
                      size,
                      format: integer,
                    })}
                    title={`Funnel of ${arm.name} (${arm.role})`}
                    description={funnelStages.map((stage) => `${stage} ${arm[stage]}`).join(", ")}
                    color={palette[index % palette.length]}
                    format={integer}
                  />
                ))}
              </div>
              <DataTable
                id={`funnel-${ref}`}
                caption={`Funnel of ${campaign.name} by arm`}
                head={["Arm", "Role", ...funnelStages]}
                rows={campaign.arms.map((arm) => [
                  arm.name,
                  arm.role,
                  ...funnelStages.map((stage) => integer(arm[stage])),
                ])}
              />
            </>
          ) : null}
        </section>
      );
    })}
  </>
);
