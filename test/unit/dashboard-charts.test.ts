import { describe, expect, it } from "vitest";
import {
  barChart,
  bubbleGrid,
  heatColor,
  heatTextColor,
  horizontalBars,
  intervalPlot,
  lineChart,
  sparseIndexes,
} from "../../api/dashboard/charts.ts";
import { money, percent, points } from "../../api/dashboard/format.ts";

// A 200 × 100 chart whose plot is x 30–190, y 10–80.
const size = { width: 200, height: 100, margin: { top: 10, right: 10, bottom: 20, left: 30 } };
const plot = { left: 30, top: 10, right: 190, bottom: 80 };

describe("dashboard chart builders", () => {
  it("a line: categories evenly from left to right, 0 at the bottom, the niced maximum at the top", () => {
    const chart = lineChart({ labels: ["a", "b", "c"], series: [{ name: "s", values: [0, 5, 10] }], size });
    expect(chart.plot).toEqual(plot);
    expect(chart.lines).toEqual([
      {
        name: "s",
        path: "M30,80L110,45L190,10",
        points: [
          { x: 30, y: 80, value: 0, label: "a" },
          { x: 110, y: 45, value: 5, label: "b" },
          { x: 190, y: 10, value: 10, label: "c" },
        ],
      },
    ]);
    expect(chart.xTicks).toEqual([
      { at: 30, label: "a" },
      { at: 110, label: "b" },
      { at: 190, label: "c" },
    ]);
    expect(chart.yTicks.map((tick) => [tick.at, tick.label])).toEqual([
      [80, "0"],
      [66, "2"],
      [52, "4"],
      [38, "6"],
      [24, "8"],
      [10, "10"],
    ]);
  });

  it("a line of zeros still has a scale (0 to 1) and a flat path on the axis", () => {
    const chart = lineChart({ labels: ["a", "b"], series: [{ name: "s", values: [0, 0] }], size });
    expect(chart.lines[0]?.path).toBe("M30,80L190,80");
    expect(chart.yTicks.at(-1)).toEqual({ at: 10, label: "1" });
  });

  it("bars: bands with 20% inner padding, from the axis up to the value", () => {
    const chart = barChart({ labels: ["a", "b"], values: [2, 4], size, format: (v) => `${v}x` });
    expect(chart.bars).toEqual([
      { x: 30, y: 45, width: 71.11, height: 35, value: 2, label: "a" },
      { x: 118.89, y: 10, width: 71.11, height: 70, value: 4, label: "b" },
    ]);
    expect(chart.xTicks).toEqual([
      { at: 65.56, label: "a" },
      { at: 154.44, label: "b" },
    ]);
    expect(chart.yTicks).toEqual([
      { at: 80, label: "0x" },
      { at: 62.5, label: "1x" },
      { at: 45, label: "2x" },
      { at: 27.5, label: "3x" },
      { at: 10, label: "4x" },
    ]);
  });

  it("horizontal bars: one row per stage, top to bottom, from the left axis", () => {
    const chart = horizontalBars({ labels: ["targeted", "sent"], values: [10, 5], size });
    expect(chart.bars).toEqual([
      { x: 30, y: 10, width: 160, height: 31.11, value: 10, label: "targeted" },
      { x: 30, y: 48.89, width: 80, height: 31.11, value: 5, label: "sent" },
    ]);
    expect(chart.xTicks.map((tick) => tick.at)).toEqual([30, 62, 94, 126, 158, 190]);
  });

  it("an interval: the segment from lower to upper, the estimate's dot and the line of no effect", () => {
    const chart = intervalPlot({ rows: [{ label: "v", estimate: 0.5, lower: -0.5, upper: 1.5 }], size });
    expect(chart.zero).toBe(70);
    expect(chart.rows.map(({ label, y, x1, x2, cx }) => ({ label, y, x1, x2, cx }))).toEqual([
      { label: "v", y: 45, x1: 30, x2: 190, cx: 110 },
    ]);
    expect(chart.xTicks.map((tick) => [tick.at, tick.label])).toEqual([
      [30, "-0.5"],
      [70, "0"],
      [110, "0.5"],
      [150, "1"],
      [190, "1.5"],
    ]);
    // An interval entirely above 0 still shows 0.
    const above = intervalPlot({ rows: [{ label: "v", estimate: 2, lower: 1, upper: 3 }], size });
    expect(above.zero).toBe(30);
    expect(above.rows[0]).toMatchObject({ x1: 83.33, cx: 136.67, x2: 190 });
  });

  it("a binned scatter: circles centred in their bins, area proportional to the count", () => {
    const chart = bubbleGrid({
      columns: ["1", "2"],
      rows: ["lo", "hi"],
      cells: [
        { column: 0, row: 0, value: 4 },
        { column: 1, row: 1, value: 1 },
      ],
      size,
    });
    expect(chart.bubbles).toEqual([
      { cx: 70, cy: 62.5, r: 17.5, column: 0, row: 0, value: 4 },
      { cx: 150, cy: 27.5, r: 8.75, column: 1, row: 1, value: 1 },
    ]);
    expect(chart.yTicks).toEqual([
      { at: 62.5, label: "lo" },
      { at: 27.5, label: "hi" },
    ]);
  });

  it("heatmap colours run from slate to blue, with white text on the darker half", () => {
    expect(heatColor(0, 10)).toBe("rgb(241, 245, 249)");
    expect(heatColor(5, 10)).toBe("rgb(135, 162, 233)");
    expect(heatColor(10, 10)).toBe("rgb(29, 78, 216)");
    expect(heatColor(0, 0)).toBe("rgb(241, 245, 249)");
    expect(heatTextColor(6, 10)).toBe("#ffffff");
    expect(heatTextColor(5, 10)).toBe("#0f172a");
  });

  it("axis labels are thinned to evenly spaced ones, the first and the last kept", () => {
    expect(sparseIndexes(90, 6)).toEqual([0, 18, 36, 53, 71, 89]);
    expect(sparseIndexes(3, 6)).toEqual([0, 1, 2]);
    expect(sparseIndexes(0, 6)).toEqual([]);
  });

  it("formats money by the currency's minor unit, shares and percentage points", () => {
    expect(money(123456789, "KRW")).toBe("123,456,789");
    expect(money(123456, "USD")).toBe("1,234.56");
    expect(money(-5, "USD")).toBe("-0.05");
    expect(percent(1 / 3)).toBe("33.33%");
    expect(percent(null)).toBe("—");
    expect(points(0.0123)).toBe("+1.23 pp");
    expect(points(-0.004)).toBe("-0.40 pp");
  });
});
