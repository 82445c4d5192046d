import type { FC } from "hono/jsx";
import type { Overview } from "../../../domain/dashboard/overview.ts";
import { barChart, lineChart } from "../charts.ts";
import { BarChartSvg, DataTable, LineChartSvg, palette } from "../components.tsx";
import { integer, money, shortDay } from "../format.ts";
import { CurrencyPicker } from "./shared.tsx";

const size = { width: 560, height: 220 };

export const OverviewTab: FC<{ data: Overview; brandRef: string }> = ({ data, brandRef }) => {
  const labels = data.days.map((day) => shortDay(day.day));
  const currency = data.currency;
  const moneyOf = (value: number) => money(value, currency);
  const revenue = lineChart({
    labels,
    series: [{ name: "Revenue", values: data.days.map((d) => d.revenue) }],
    size,
    format: moneyOf,
  });
  const bars = (values: number[], format: (v: number) => string = integer) =>
    barChart({ labels, values, size, format });
  return (
    <>
      <h2>
        Overview, {data.from} to {data.to}
        {currency ? ` (${currency})` : ""}
      </h2>
      <CurrencyPicker tab="overview" brandRef={brandRef} currencies={data.currencies} currency={currency} />
      <p class="note">
        From the nightly daily revenue (orders and revenue by the day they were placed, refunds by the day
        they were paid), summed over the brand's markets and acquisition sources.
      </p>
      <ul class="kpis" aria-label="Totals">
        <li>
          Revenue <b id="kpi-revenue">{moneyOf(data.totals.revenue)}</b>
        </li>
        <li>
          Orders <b id="kpi-orders">{integer(data.totals.orders)}</b>
        </li>
        <li>
          New customers <b id="kpi-new-customers">{integer(data.totals.newCustomers)}</b>
        </li>
        <li>
          Refunds <b id="kpi-refunds">{moneyOf(data.totals.refunded)}</b>
        </li>
      </ul>
      <div class="charts">
        <section>
          <LineChartSvg
            chart={revenue}
            title="Revenue by day"
            description={`Revenue per day, ${data.from} to ${data.to}; total ${moneyOf(data.totals.revenue)}.`}
            format={moneyOf}
          />
        </section>
        <section>
          <BarChartSvg
            chart={bars(data.days.map((d) => d.orders))}
            title="Orders by day"
            description={`Orders per day; total ${integer(data.totals.orders)}.`}
          />
        </section>
        <section>
          <BarChartSvg
            chart={bars(data.days.map((d) => d.newCustomers))}
            title="New customers by day"
            description={`Customers whose first order was that day; total ${integer(data.totals.newCustomers)}.`}
            color={palette[2]}
          />
        </section>
        <section>
          <BarChartSvg
            chart={bars(
              data.days.map((d) => d.refunded),
              moneyOf,
            )}
            title="Refunds by day"
            description={`Refunds paid per day; total ${moneyOf(data.totals.refunded)}.`}
            color={palette[1]}
            format={moneyOf}
          />
        </section>
      </div>
      <DataTable
        id="overview-days"
        caption="Revenue, orders, new customers and refunds by day"
        head={["Day", "Revenue", "Orders", "New customers", "Refunds"]}
        rows={data.days.map((d) => [
          d.day,
          moneyOf(d.revenue),
          integer(d.orders),
          integer(d.newCustomers),
          moneyOf(d.refunded),
        ])}
      />
    </>
  );
};
