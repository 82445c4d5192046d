import type { FC } from "hono/jsx";
import { type Acquisition, acquisitionSources } from "../../../domain/dashboard/acquisition.ts";
import type { BinEdge } from "../../../domain/rfm/scatter.ts";
import { bubbleGrid, lineChart } from "../charts.ts";
import { BubbleSvg, DataTable, LineChartSvg } from "../components.tsx";
import { integer, money, shortDay } from "../format.ts";
import { CurrencyPicker } from "./shared.tsx";

const size = { width: 560, height: 240 };

const frequencyLabel = (edge: BinEdge): string =>
  edge.to === null
    ? `${edge.from}+`
    : edge.to - edge.from === 1
      ? String(edge.from)
      : `${edge.from}–${edge.to - 1}`;

export const AcquisitionTab: FC<{ data: Acquisition; brandRef: string }> = ({ data, brandRef }) => {
  const currency = data.currency;
  const moneyOf = (value: number) => money(value, currency);
  const bySource = lineChart({
    labels: data.days.map((d) => shortDay(d.day)),
    series: acquisitionSources.map((source) => ({
      name: source,
      values: data.days.map((d) => d.revenue[source]),
    })),
    size,
    format: moneyOf,
  });
  const months = [...new Set(data.ltv.map((row) => row.month))].sort();
  const ltvOf = (source: string, month: string) =>
    data.ltv.find((row) => row.source === source && row.month === month)?.avgLtv ?? 0;
  const ltvSources = acquisitionSources.filter((source) => data.ltv.some((row) => row.source === source));
  const ltv = lineChart({
    labels: months.map((m) => m.slice(0, 7)),
    series: ltvSources.map((source) => ({ name: source, values: months.map((m) => ltvOf(source, m)) })),
    size,
    format: moneyOf,
  });
  // Only the monetary bins from the lowest to the highest that hold accounts.
  const used = data.scatter.bins.map((bin) => bin.monetary);
  const low = used.length ? Math.min(...used) : 0;
  const high = used.length ? Math.max(...used) : 0;
  const monetaryRows = data.scatter.monetaryBins.slice(low, high + 1);
  const monetaryLabel = (edge: BinEdge) =>
    edge.to === null ? `${moneyOf(edge.from)}+` : `${moneyOf(edge.from)}–${moneyOf(edge.to)}`;
  const scatter = bubbleGrid({
    columns: data.scatter.frequencyBins.map(frequencyLabel),
    rows: monetaryRows.map(monetaryLabel),
    cells: data.scatter.bins.map((bin) => ({
      column: bin.frequency,
      row: bin.monetary - low,
      value: bin.accounts,
    })),
    size: {
      width: 620,
      height: 60 + monetaryRows.length * 34,
      margin: { top: 16, right: 12, bottom: 34, left: 130 },
    },
  });
  return (
    <>
      <h2>
        Acquisition, {data.from} to {data.to}
        {currency ? ` (${currency})` : ""}
      </h2>
      <CurrencyPicker
        tab="acquisition"
        brandRef={brandRef}
        currencies={data.currencies}
        currency={currency}
      />
      <section>
        <h3>Organic vs influencer</h3>
        <p class="note">
          Revenue per day by the customers' acquisition source, from the nightly daily revenue.
        </p>
        <LineChartSvg
          chart={bySource}
          title="Revenue by acquisition source"
          description={data.totals.map((t) => `${t.source} ${moneyOf(t.revenue)}`).join(", ")}
          format={moneyOf}
        />
        <DataTable
          id="acquisition-sources"
          caption="Totals by acquisition source"
          head={["Source", "Orders", "Revenue", "Refunds", "New customers"]}
          rows={data.totals.map((t) => [
            t.source,
            integer(t.orders),
            moneyOf(t.revenue),
            moneyOf(t.refunded),
            integer(t.newCustomers),
          ])}
        />
      </section>
      <section>
        <h3>LTV by acquisition month{data.ltvAsOf ? `, as of ${data.ltvAsOf}` : ""}</h3>
        {data.ltv.length === 0 ? (
          <p>No LTV snapshot yet: the nightly job has not run for this brand.</p>
        ) : (
          <>
            <p class="note">
              Average net revenue per customer so far, by the month of the first order and the source.
            </p>
            <LineChartSvg
              chart={ltv}
              title="Average LTV by acquisition month"
              description={`Average lifetime value per customer for ${months.length} acquisition months.`}
              format={moneyOf}
            />
            <DataTable
              id="acquisition-ltv"
              caption="LTV by acquisition month and source"
              head={["Month", "Source", "Customers", "Net revenue", "Average LTV"]}
              rows={data.ltv.map((row) => [
                row.month.slice(0, 7),
                row.source,
                integer(row.accounts),
                moneyOf(row.netRevenue),
                moneyOf(row.avgLtv),
              ])}
            />
          </>
        )}
      </section>
      <section>
        <h3>Frequency × monetary{data.scatter.asOf ? `, as of ${data.scatter.asOf}` : ""}</h3>
        {data.scatter.bins.length === 0 ? (
          <p>No scored accounts yet.</p>
        ) : (
          <>
            <p class="note">
              All {integer(data.scatter.accounts)} scored accounts, binned by orders and net revenue: exact
              counts as of the RFM run date, {data.scatter.asOf}.
            </p>
            <BubbleSvg
              chart={scatter}
              title="Customers by frequency and monetary value"
              description={`Accounts per bin of orders and net revenue (${integer(data.scatter.accounts)} scored accounts, as of ${data.scatter.asOf}).`}
              xLabel="Orders"
              yLabel="Net revenue"
            />
            <DataTable
              id="acquisition-scatter"
              caption="Accounts by frequency and monetary bin"
              head={["Orders", "Net revenue", "Accounts", "Their net revenue"]}
              rows={data.scatter.bins.map((bin) => {
                const f = data.scatter.frequencyBins[bin.frequency];
                const m = data.scatter.monetaryBins[bin.monetary];
                return [
                  f ? frequencyLabel(f) : "",
                  m ? monetaryLabel(m) : "",
                  integer(bin.accounts),
                  moneyOf(bin.netRevenue),
                ];
              })}
            />
          </>
        )}
      </section>
    </>
  );
};
