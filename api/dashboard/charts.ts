/**
 * The dashboard's charts as numbers: pure builders (d3-scale and d3-shape, no DOM) that turn a series into
 * the coordinates, paths and ticks the SVG components draw. Kept apart from the JSX so unit tests check the
 * exact geometry for small inputs.
 */
import { max, min } from "d3-array";
import { scaleBand, scaleLinear, scaleSqrt } from "d3-scale";
import { line } from "d3-shape";

export interface Margin {
  top: number;
  right: number;
  bottom: number;
  left: number;
}

export interface ChartSize {
  width: number;
  height: number;
  margin?: Margin;
}

/** The plotting area inside the margins. */
export interface Plot {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

export interface Tick {
  /** Position along the axis, in pixels. */
  at: number;
  label: string;
}

// The right margin leaves room for the last x label, centred on the plot's edge.
const defaultMargin: Margin = { top: 12, right: 24, bottom: 28, left: 60 };
const round2 = (value: number): number => Math.round(value * 100) / 100;

function plotOf(size: ChartSize): Plot {
  const margin = size.margin ?? defaultMargin;
  return {
    left: margin.left,
    top: margin.top,
    right: size.width - margin.right,
    bottom: size.height - margin.bottom,
  };
}

/** At most `count` labels of `labels`, evenly spaced, the first and the last included. */
export function sparseIndexes(length: number, count: number): number[] {
  if (length <= 0) return [];
  if (length <= count || count < 2)
    return Array.from({ length: Math.min(length, Math.max(count, 1)) }, (_, i) => i);
  const step = (length - 1) / (count - 1);
  return [...new Set(Array.from({ length: count }, (_, i) => Math.round(i * step)))];
}

export interface LineSeries {
  name: string;
  values: readonly number[];
}

export interface LineChart {
  width: number;
  height: number;
  plot: Plot;
  lines: { name: string; path: string; points: { x: number; y: number; value: number; label: string }[] }[];
  xTicks: Tick[];
  yTicks: Tick[];
}

/**
 * Lines over categories (days, months) spaced evenly left to right, y from 0 to the largest value
 * (niced). Coordinates are rounded to 0.01 px so the markup stays short and tests can state them.
 */
export function lineChart(input: {
  labels: readonly string[];
  series: readonly LineSeries[];
  size: ChartSize;
  format?: (value: number) => string;
  xTickCount?: number;
}): LineChart {
  const plot = plotOf(input.size);
  const format = input.format ?? String;
  const n = input.labels.length;
  const x = scaleLinear()
    .domain([0, Math.max(n - 1, 1)])
    .range([plot.left, plot.right]);
  const top = max(input.series.flatMap((s) => s.values)) ?? 0;
  const y = scaleLinear()
    .domain([0, top > 0 ? top : 1])
    .nice(4)
    .range([plot.bottom, plot.top]);
  const draw = line<number>()
    .x((_, i) => round2(x(i)))
    .y((value) => round2(y(value)));
  return {
    width: input.size.width,
    height: input.size.height,
    plot,
    lines: input.series.map((series) => ({
      name: series.name,
      path: draw([...series.values]) ?? "",
      points: series.values.map((value, i) => ({
        x: round2(x(i)),
        y: round2(y(value)),
        value,
        label: input.labels[i] ?? "",
      })),
    })),
    xTicks: sparseIndexes(n, input.xTickCount ?? 6).map((i) => ({
      at: round2(x(i)),
      label: input.labels[i] ?? "",
    })),
    yTicks: y.ticks(4).map((value) => ({ at: round2(y(value)), label: format(value) })),
  };
}

export interface BarChart {
  width: number;
  height: number;
  plot: Plot;
  bars: { x: number; y: number; width: number; height: number; value: number; label: string }[];
  xTicks: Tick[];
  yTicks: Tick[];
}

/** Vertical bars, one per category, from 0 up to the value (niced y). */
export function barChart(input: {
  labels: readonly string[];
  values: readonly number[];
  size: ChartSize;
  format?: (value: number) => string;
  xTickCount?: number;
}): BarChart {
  const plot = plotOf(input.size);
  const format = input.format ?? String;
  const indexes = input.labels.map((_, i) => String(i));
  const x = scaleBand().domain(indexes).range([plot.left, plot.right]).paddingInner(0.2);
  const top = max(input.values) ?? 0;
  const y = scaleLinear()
    .domain([0, top > 0 ? top : 1])
    .nice(4)
    .range([plot.bottom, plot.top]);
  const width = round2(x.bandwidth());
  return {
    width: input.size.width,
    height: input.size.height,
    plot,
    bars: input.values.map((value, i) => {
      const yTop = round2(y(value));
      return {
        x: round2(x(String(i)) ?? plot.left),
        y: yTop,
        width,
        height: round2(plot.bottom - yTop),
        value,
        label: input.labels[i] ?? "",
      };
    }),
    xTicks: sparseIndexes(input.labels.length, input.xTickCount ?? 6).map((i) => ({
      at: round2((x(String(i)) ?? plot.left) + x.bandwidth() / 2),
      label: input.labels[i] ?? "",
    })),
    yTicks: y.ticks(4).map((value) => ({ at: round2(y(value)), label: format(value) })),
  };
}

export interface HorizontalBars {
  width: number;
  height: number;
  plot: Plot;
  bars: { x: number; y: number; width: number; height: number; value: number; label: string }[];
  xTicks: Tick[];
}

/** Horizontal bars, one row per label, from 0 right to the value: a funnel's stages top to bottom. */
export function horizontalBars(input: {
  labels: readonly string[];
  values: readonly number[];
  size: ChartSize;
  format?: (value: number) => string;
}): HorizontalBars {
  const plot = plotOf(input.size);
  const format = input.format ?? String;
  const y = scaleBand()
    .domain(input.labels.map((_, i) => String(i)))
    .range([plot.top, plot.bottom])
    .paddingInner(0.2);
  const top = max(input.values) ?? 0;
  const x = scaleLinear()
    .domain([0, top > 0 ? top : 1])
    .nice(4)
    .range([plot.left, plot.right]);
  const height = round2(y.bandwidth());
  return {
    width: input.size.width,
    height: input.size.height,
    plot,
    bars: input.values.map((value, i) => ({
      x: plot.left,
      y: round2(y(String(i)) ?? plot.top),
      width: round2(x(value) - plot.left),
      height,
      value,
      label: input.labels[i] ?? "",
    })),
    xTicks: x.ticks(4).map((value) => ({ at: round2(x(value)), label: format(value) })),
  };
}

export interface IntervalRow {
  label: string;
  estimate: number;
  lower: number;
  upper: number;
}

export interface IntervalPlot {
  width: number;
  height: number;
  plot: Plot;
  /** x of zero: no effect. */
  zero: number;
  rows: { label: string; y: number; x1: number; x2: number; cx: number; row: IntervalRow }[];
  xTicks: Tick[];
}

/** Each row's estimate as a dot on its interval's segment, with the line of no effect (0). */
export function intervalPlot(input: {
  rows: readonly IntervalRow[];
  size: ChartSize;
  format?: (value: number) => string;
}): IntervalPlot {
  const plot = plotOf(input.size);
  const format = input.format ?? String;
  const low = Math.min(0, min(input.rows, (row) => row.lower) ?? 0);
  const high = Math.max(0, max(input.rows, (row) => row.upper) ?? 0);
  const x = scaleLinear()
    .domain(low === high ? [-1, 1] : [low, high])
    .nice(4)
    .range([plot.left, plot.right]);
  const y = scaleBand()
    .domain(input.rows.map((_, i) => String(i)))
    .range([plot.top, plot.bottom]);
  return {
    width: input.size.width,
    height: input.size.height,
    plot,
    zero: round2(x(0)),
    rows: input.rows.map((row, i) => ({
      label: row.label,
      y: round2((y(String(i)) ?? plot.top) + y.bandwidth() / 2),
      x1: round2(x(row.lower)),
      x2: round2(x(row.upper)),
      cx: round2(x(row.estimate)),
      row,
    })),
    xTicks: x.ticks(4).map((value) => ({ at: round2(x(value)), label: format(value) })),
  };
}

/** A heatmap cell's fill: from near white (0) to deep blue (the largest count). */
export function heatColor(count: number, largest: number): string {
  return scaleLinear<string>()
    .domain([0, largest > 0 ? largest : 1])
    .range(["#f1f5f9", "#1d4ed8"])
    .clamp(true)(count);
}

/** Text that stays readable on a fill of {@link heatColor}: white on the darker half. */
export const heatTextColor = (count: number, largest: number): string =>
  largest > 0 && count / largest > 0.5 ? "#ffffff" : "#0f172a";

export interface BubbleGrid {
  width: number;
  height: number;
  plot: Plot;
  bubbles: { cx: number; cy: number; r: number; column: number; row: number; value: number }[];
  xTicks: Tick[];
  yTicks: Tick[];
}

/**
 * A binned scatter: columns and rows are bins (x left to right, y bottom to top), each bin a circle whose
 * area is proportional to its value.
 */
export function bubbleGrid(input: {
  columns: readonly string[];
  rows: readonly string[];
  cells: readonly { column: number; row: number; value: number }[];
  size: ChartSize;
}): BubbleGrid {
  const plot = plotOf(input.size);
  const x = scaleBand()
    .domain(input.columns.map((_, i) => String(i)))
    .range([plot.left, plot.right]);
  const y = scaleBand()
    .domain(input.rows.map((_, i) => String(i)))
    .range([plot.bottom, plot.top]);
  const largest = max(input.cells, (cell) => cell.value) ?? 0;
  const radius = scaleSqrt()
    .domain([0, largest > 0 ? largest : 1])
    .range([0, Math.min(x.bandwidth(), y.bandwidth()) / 2]);
  return {
    width: input.size.width,
    height: input.size.height,
    plot,
    bubbles: input.cells.map((cell) => ({
      cx: round2((x(String(cell.column)) ?? plot.left) + x.bandwidth() / 2),
      cy: round2((y(String(cell.row)) ?? plot.bottom) + y.bandwidth() / 2),
      r: round2(radius(cell.value)),
      column: cell.column,
      row: cell.row,
      value: cell.value,
    })),
    xTicks: input.columns.map((label, i) => ({
      at: round2((x(String(i)) ?? plot.left) + x.bandwidth() / 2),
      label,
    })),
    yTicks: input.rows.map((label, i) => ({
      at: round2((y(String(i)) ?? plot.bottom) + y.bandwidth() / 2),
      label,
    })),
  };
}
