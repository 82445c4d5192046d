/** The dashboard's shared markup: the page frame with its tabs and brand picker, the SVG charts and tables. */

import { raw } from "hono/html";
import type { Child, FC } from "hono/jsx";
import type { BarChart, BubbleGrid, HorizontalBars, IntervalPlot, LineChart, Plot, Tick } from "./charts.ts";

export const tabs = [
  { path: "overview", label: "Overview" },
  { path: "campaigns", label: "Campaigns and funnel" },
  { path: "experiments", label: "Experiments" },
  { path: "cohorts", label: "Cohorts and RFM" },
  { path: "acquisition", label: "Acquisition" },
] as const;
export type TabPath = (typeof tabs)[number]["path"];

const styles = `
:root { color-scheme: light; font-family: system-ui, sans-serif; color: #0f172a; }
body { margin: 0; background: #f8fafc; }
header { background: #0f172a; color: #f8fafc; padding: 0.6rem 1.2rem; display: flex; gap: 1rem; align-items: center; flex-wrap: wrap; }
header h1 { font-size: 1.05rem; margin: 0 1rem 0 0; }
header form { display: flex; gap: 0.4rem; align-items: center; margin: 0; }
header button, header select { font: inherit; }
nav ul { list-style: none; display: flex; gap: 0.2rem; margin: 0; padding: 0 1.2rem; background: #e2e8f0; flex-wrap: wrap; }
nav a { display: block; padding: 0.55rem 0.9rem; color: #0f172a; text-decoration: none; }
nav a[aria-current="page"] { background: #f8fafc; font-weight: 600; }
main { padding: 1rem 1.2rem 3rem; max-width: 1200px; }
section { background: #fff; border: 1px solid #e2e8f0; border-radius: 6px; padding: 0.8rem 1rem; margin: 0 0 1rem; }
h2 { font-size: 1.1rem; margin: 0.2rem 0 0.6rem; }
h3 { font-size: 1rem; margin: 0.8rem 0 0.4rem; }
.note { color: #475569; font-size: 0.9rem; }
.kpis { display: flex; gap: 1rem; flex-wrap: wrap; margin: 0 0 1rem; padding: 0; list-style: none; }
.kpis li { background: #fff; border: 1px solid #e2e8f0; border-radius: 6px; padding: 0.6rem 1rem; min-width: 10rem; }
.kpis b { display: block; font-size: 1.3rem; }
.charts { display: flex; flex-wrap: wrap; gap: 1rem; }
figure { margin: 0; }
figcaption { font-weight: 600; font-size: 0.9rem; margin: 0 0 0.3rem; }
svg { background: #fff; max-width: 100%; height: auto; }
svg text { font-size: 11px; fill: #334155; }
svg .axis line, svg .axis path { stroke: #94a3b8; }
details { margin: 0.4rem 0; }
table { border-collapse: collapse; font-size: 0.85rem; margin: 0.4rem 0; }
th, td { border: 1px solid #e2e8f0; padding: 0.2rem 0.5rem; text-align: right; }
th[scope="row"], thead th:first-child { text-align: left; }
.heatmap { border: 0; padding: 0; margin: 0; display: grid; grid-template-columns: 3rem repeat(5, 6.5rem); gap: 3px; align-items: stretch; }
.heatmap form { margin: 0; }
.heatmap button { width: 100%; height: 4.2rem; border: 0; border-radius: 4px; cursor: pointer; font: inherit; font-size: 0.8rem; }
.heatmap button:focus-visible { outline: 3px solid #f59e0b; }
.heatmap .axis-label { display: flex; align-items: center; justify-content: center; font-weight: 600; }
.badge { display: inline-block; padding: 0 0.4rem; border-radius: 4px; background: #e2e8f0; font-size: 0.8rem; }
.badge.warn { background: #fde68a; }
.badge.good { background: #bbf7d0; }
.error { color: #b91c1c; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); }
`;

export interface BrandOption {
  ref: string;
  name: string;
}

/** The whole page: head, the header with the brand picker and sign-out, the tabs, the tab's content. */
export const Page: FC<{
  title: string;
  tab: TabPath | null;
  brands?: BrandOption[];
  brand?: string | undefined;
  children?: Child;
}> = (props) => (
  <>
    {raw("<!doctype html>")}
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{props.title} · leadrail dashboard</title>
        {/* No icon to fetch: the browser would otherwise ask for /favicon.ico. */}
        <link rel="icon" href="data:," />
        <style>{raw(styles)}</style>
      </head>
      <body>
        <header>
          <h1>leadrail dashboard</h1>
          {props.tab && props.brands ? (
            <>
              <form method="get" action={`/dashboard/${props.tab}`} aria-label="Brand">
                <label for="brand-picker">Brand</label>
                <select id="brand-picker" name="brand">
                  {props.brands.map((brand) => (
                    <option value={brand.ref} selected={brand.ref === props.brand}>
                      {brand.name}
                    </option>
                  ))}
                </select>
                <button type="submit">Show</button>
              </form>
              <form method="post" action="/dashboard/sign-out">
                <button type="submit">Sign out</button>
              </form>
            </>
          ) : null}
        </header>
        {props.tab ? (
          <nav aria-label="Reports">
            <ul>
              {tabs.map((tab) => (
                <li>
                  <a
                    href={`/dashboard/${tab.path}${props.brand ? `?brand=${encodeURIComponent(props.brand)}` : ""}`}
                    aria-current={tab.path === props.tab ? "page" : undefined}
                  >
                    {tab.label}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
        ) : null}
        <main>{props.children}</main>
      </body>
    </html>
  </>
);

let chartCount = 0;
/** Ids unique within a page for the charts' title and description (aria-labelledby). */
const nextId = (prefix: string): string => `${prefix}-${++chartCount}`;

const Frame: FC<{ width: number; height: number; title: string; description: string; children?: Child }> = (
  props,
) => {
  const id = nextId("chart");
  return (
    <figure>
      <figcaption>{props.title}</figcaption>
      <svg
        xmlns="http://www.w3.org/2000/svg"
        role="img"
        width={props.width}
        height={props.height}
        viewBox={`0 0 ${props.width} ${props.height}`}
        aria-labelledby={`${id}-title ${id}-desc`}
      >
        <title id={`${id}-title`}>{props.title}</title>
        <desc id={`${id}-desc`}>{props.description}</desc>
        {props.children}
      </svg>
    </figure>
  );
};

const XAxis: FC<{ plot: Plot; ticks: Tick[] }> = ({ plot, ticks }) => (
  <g class="axis">
    <line x1={plot.left} x2={plot.right} y1={plot.bottom} y2={plot.bottom} />
    {ticks.map((tick) => (
      <g>
        <line x1={tick.at} x2={tick.at} y1={plot.bottom} y2={plot.bottom + 4} />
        <text x={tick.at} y={plot.bottom + 16} text-anchor="middle">
          {tick.label}
        </text>
      </g>
    ))}
  </g>
);

const YAxis: FC<{ plot: Plot; ticks: Tick[] }> = ({ plot, ticks }) => (
  <g class="axis">
    <line x1={plot.left} x2={plot.left} y1={plot.top} y2={plot.bottom} />
    {ticks.map((tick) => (
      <g>
        <line x1={plot.left - 4} x2={plot.left} y1={tick.at} y2={tick.at} />
        <line x1={plot.left} x2={plot.right} y1={tick.at} y2={tick.at} stroke="#e2e8f0" />
        <text x={plot.left - 6} y={tick.at + 4} text-anchor="end">
          {tick.label}
        </text>
      </g>
    ))}
  </g>
);

export const palette = ["#2563eb", "#db2777", "#16a34a", "#f59e0b", "#7c3aed"];

export const LineChartSvg: FC<{
  chart: LineChart;
  title: string;
  description: string;
  format?: (v: number) => string;
}> = ({ chart, title, description, format }) => (
  <Frame width={chart.width} height={chart.height} title={title} description={description}>
    <YAxis plot={chart.plot} ticks={chart.yTicks} />
    <XAxis plot={chart.plot} ticks={chart.xTicks} />
    {chart.lines.map((series, index) => (
      <g>
        <path d={series.path} fill="none" stroke={palette[index % palette.length]} stroke-width="2">
          <title>{series.name}</title>
        </path>
        {series.points.length <= 31
          ? series.points.map((point) => (
              <circle cx={point.x} cy={point.y} r="2.5" fill={palette[index % palette.length]}>
                <title>{`${series.name} ${point.label}: ${(format ?? String)(point.value)}`}</title>
              </circle>
            ))
          : null}
      </g>
    ))}
    {chart.lines.length > 1
      ? chart.lines.map((series, index) => (
          <g>
            <rect
              x={chart.plot.left + 8 + index * 110}
              y={chart.plot.top}
              width="10"
              height="10"
              fill={palette[index % palette.length]}
            />
            <text x={chart.plot.left + 22 + index * 110} y={chart.plot.top + 9}>
              {series.name}
            </text>
          </g>
        ))
      : null}
  </Frame>
);

export const BarChartSvg: FC<{
  chart: BarChart;
  title: string;
  description: string;
  color?: string;
  format?: (v: number) => string;
}> = ({ chart, title, description, color, format }) => (
  <Frame width={chart.width} height={chart.height} title={title} description={description}>
    <YAxis plot={chart.plot} ticks={chart.yTicks} />
    <XAxis plot={chart.plot} ticks={chart.xTicks} />
    {chart.bars.map((bar) => (
      <rect x={bar.x} y={bar.y} width={bar.width} height={bar.height} fill={color ?? palette[0]}>
        <title>{`${bar.label}: ${(format ?? String)(bar.value)}`}</title>
      </rect>
    ))}
  </Frame>
);

export const HorizontalBarsSvg: FC<{
  chart: HorizontalBars;
  title: string;
  description: string;
  color?: string;
  format?: (v: number) => string;
}> = ({ chart, title, description, color, format }) => (
  <Frame width={chart.width} height={chart.height} title={title} description={description}>
    <XAxis plot={chart.plot} ticks={chart.xTicks} />
    {chart.bars.map((bar) => (
      <g>
        <text x={chart.plot.left - 6} y={bar.y + bar.height / 2 + 4} text-anchor="end">
          {bar.label}
        </text>
        <rect x={bar.x} y={bar.y} width={bar.width} height={bar.height} fill={color ?? palette[0]}>
          <title>{`${bar.label}: ${(format ?? String)(bar.value)}`}</title>
        </rect>
        <text x={bar.x + bar.width + 4} y={bar.y + bar.height / 2 + 4}>
          {(format ?? String)(bar.value)}
        </text>
      </g>
    ))}
  </Frame>
);

export const IntervalSvg: FC<{
  chart: IntervalPlot;
  title: string;
  description: string;
  format: (v: number) => string;
}> = ({ chart, title, description, format }) => (
  <Frame width={chart.width} height={chart.height} title={title} description={description}>
    <XAxis plot={chart.plot} ticks={chart.xTicks} />
    <line
      x1={chart.zero}
      x2={chart.zero}
      y1={chart.plot.top}
      y2={chart.plot.bottom}
      stroke="#64748b"
      stroke-dasharray="4 3"
    />
    {chart.rows.map((row) => (
      <g>
        <text x={chart.plot.left - 6} y={row.y + 4} text-anchor="end">
          {row.label}
        </text>
        <line x1={row.x1} x2={row.x2} y1={row.y} y2={row.y} stroke={palette[0]} stroke-width="3" />
        <circle cx={row.cx} cy={row.y} r="5" fill={palette[1]}>
          <title>{`${row.label}: ${format(row.row.estimate)} (${format(row.row.lower)} to ${format(row.row.upper)})`}</title>
        </circle>
      </g>
    ))}
  </Frame>
);

export const BubbleSvg: FC<{
  chart: BubbleGrid;
  title: string;
  description: string;
  xLabel: string;
  yLabel: string;
}> = ({ chart, title, description, xLabel, yLabel }) => (
  <Frame width={chart.width} height={chart.height} title={title} description={description}>
    <XAxis plot={chart.plot} ticks={chart.xTicks} />
    <YAxis plot={chart.plot} ticks={chart.yTicks} />
    <text x={(chart.plot.left + chart.plot.right) / 2} y={chart.height - 2} text-anchor="middle">
      {xLabel}
    </text>
    <text x={12} y={chart.plot.top - 2}>
      {yLabel}
    </text>
    {chart.bubbles.map((bubble) => (
      <circle cx={bubble.cx} cy={bubble.cy} r={bubble.r} fill={palette[0]} fill-opacity="0.6">
        <title>{`${chart.xTicks[bubble.column]?.label ?? ""} orders, ${chart.yTicks[bubble.row]?.label ?? ""}: ${bubble.value}`}</title>
      </circle>
    ))}
  </Frame>
);

/** The numbers behind a chart, as a table (for screen readers, copying, and the tests). */
export const DataTable: FC<{ caption: string; head: string[]; rows: (string | number)[][]; id?: string }> = (
  props,
) => (
  <details open={props.rows.length <= 12}>
    <summary>{props.caption}: table</summary>
    <table id={props.id}>
      <caption>{props.caption}</caption>
      <thead>
        <tr>
          {props.head.map((cell) => (
            <th scope="col">{cell}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {props.rows.map((row) => (
          <tr>{row.map((cell, index) => (index === 0 ? <th scope="row">{cell}</th> : <td>{cell}</td>))}</tr>
        ))}
      </tbody>
    </table>
  </details>
);
