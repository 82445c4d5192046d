import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  compareLines,
  planRefund,
  type RefundableLine,
  refundableAmount,
} from "../../domain/ledger/refund-waterfall.ts";

const day = (n: number): Date => new Date(Date.UTC(2026, 0, n, 9, 0, 0));

const line = (
  invoiceId: number,
  issuedDay: number,
  invoiceItemId: number,
  amount: number,
  credited = 0,
): RefundableLine => ({ invoiceId, invoiceIssuedAt: day(issuedDay), invoiceItemId, amount, credited });

describe("planRefund", () => {
  // Three invoices for the product: Jan 3 (newest), Jan 2, Jan 1; given out of order on purpose.
  const lines = [line(10, 1, 100, 5_000), line(30, 3, 300, 2_000), line(20, 2, 200, 3_000)];

  it("credits only the most recent invoice when it covers the refund", () => {
    expect(planRefund(lines, 1_500)).toEqual({
      ok: true,
      creditNotes: [{ invoiceId: 30, amount: 1_500, items: [{ invoiceItemId: 300, amount: 1_500 }] }],
    });
  });

  it("exhausts the newest invoice exactly without touching the next", () => {
    expect(planRefund(lines, 2_000)).toEqual({
      ok: true,
      creditNotes: [{ invoiceId: 30, amount: 2_000, items: [{ invoiceItemId: 300, amount: 2_000 }] }],
    });
  });

  it("cascades to older invoices, newest first, one credit note per invoice", () => {
    expect(planRefund(lines, 6_500)).toEqual({
      ok: true,
      creditNotes: [
        { invoiceId: 30, amount: 2_000, items: [{ invoiceItemId: 300, amount: 2_000 }] },
        { invoiceId: 20, amount: 3_000, items: [{ invoiceItemId: 200, amount: 3_000 }] },
        { invoiceId: 10, amount: 1_500, items: [{ invoiceItemId: 100, amount: 1_500 }] },
      ],
    });
  });

  it("takes the whole refundable amount", () => {
    const plan = planRefund(lines, 10_000);
    expect(plan.ok && plan.creditNotes.map((n) => n.amount)).toEqual([2_000, 3_000, 5_000]);
  });

  it("refuses one minor unit more than refundable, saying what is refundable", () => {
    expect(planRefund(lines, 10_001)).toEqual({ ok: false, refundable: 10_000 });
  });

  it("counts what earlier credit notes took back", () => {
    const partly = [
      line(10, 1, 100, 5_000, 1_000),
      line(30, 3, 300, 2_000, 2_000),
      line(20, 2, 200, 3_000, 2_500),
    ];
    expect(refundableAmount(partly)).toBe(4_500);
    expect(planRefund(partly, 1_000)).toEqual({
      ok: true,
      creditNotes: [
        { invoiceId: 20, amount: 500, items: [{ invoiceItemId: 200, amount: 500 }] },
        { invoiceId: 10, amount: 500, items: [{ invoiceItemId: 100, amount: 500 }] },
      ],
    });
    expect(planRefund(partly, 4_501)).toEqual({ ok: false, refundable: 4_500 });
  });

  it("within one invoice credits the last line first (item id descending), in one credit note", () => {
    const twoLines = [line(40, 4, 401, 1_000), line(40, 4, 402, 700), line(10, 1, 100, 5_000)];
    expect(planRefund(twoLines, 2_000)).toEqual({
      ok: true,
      creditNotes: [
        {
          invoiceId: 40,
          amount: 1_700,
          items: [
            { invoiceItemId: 402, amount: 700 },
            { invoiceItemId: 401, amount: 1_000 },
          ],
        },
        { invoiceId: 10, amount: 300, items: [{ invoiceItemId: 100, amount: 300 }] },
      ],
    });
  });

  it("orders invoices issued at the same instant by id, the later one first", () => {
    const sameTime = [line(7, 5, 70, 1_000), line(8, 5, 80, 1_000)];
    const plan = planRefund(sameTime, 1_200);
    expect(plan).toEqual({
      ok: true,
      creditNotes: [
        { invoiceId: 8, amount: 1_000, items: [{ invoiceItemId: 80, amount: 1_000 }] },
        { invoiceId: 7, amount: 200, items: [{ invoiceItemId: 70, amount: 200 }] },
      ],
    });
  });

  it("skips zero-amount lines (a free item) and refuses when nothing is refundable", () => {
    expect(planRefund([line(1, 1, 1, 0)], 1)).toEqual({ ok: false, refundable: 0 });
    expect(planRefund([], 1)).toEqual({ ok: false, refundable: 0 });
    expect(planRefund([line(2, 2, 2, 0), line(1, 1, 1, 50)], 50)).toEqual({
      ok: true,
      creditNotes: [{ invoiceId: 1, amount: 50, items: [{ invoiceItemId: 1, amount: 50 }] }],
    });
  });

  it("throws on an amount that is not a positive integer (the API refuses it before)", () => {
    expect(() => planRefund(lines, 0)).toThrow(RangeError);
    expect(() => planRefund(lines, -5)).toThrow(RangeError);
    expect(() => planRefund(lines, 1.5)).toThrow(RangeError);
  });

  it("does not reorder or change its input", () => {
    const copy = structuredClone(lines);
    planRefund(lines, 6_500);
    expect(lines).toEqual(copy);
  });
});

// Invoices with distinct ids and issue days, each with 1–3 lines of distinct item ids, some partly credited.
const invoicesArb = fc
  .uniqueArray(
    fc.record({
      invoiceId: fc.integer({ min: 1, max: 1_000 }),
      issuedDay: fc.integer({ min: 1, max: 28 }),
      lines: fc.array(
        fc
          .record({
            amount: fc.integer({ min: 0, max: 100_000 }),
            creditedShare: fc.double({ min: 0, max: 1, noNaN: true }),
          })
          .map(({ amount, creditedShare }) => ({ amount, credited: Math.floor(amount * creditedShare) })),
        { minLength: 1, maxLength: 3 },
      ),
    }),
    { selector: (invoice) => invoice.invoiceId, maxLength: 8 },
  )
  .map((invoices) => {
    let itemId = 0;
    return invoices.flatMap((invoice) =>
      invoice.lines.map((l) => {
        itemId += 1;
        return line(invoice.invoiceId, invoice.issuedDay, itemId, l.amount, l.credited);
      }),
    );
  });

const linesAndAmount = invoicesArb.chain((lines) =>
  fc.record({
    lines: fc.constant(lines),
    amount: fc.integer({ min: 1, max: Math.max(1, refundableAmount(lines) + 10) }),
  }),
);

describe("planRefund properties", () => {
  it("credit notes sum to the refund, each note to its items, and refuses only when not refundable", () => {
    fc.assert(
      fc.property(linesAndAmount, ({ lines, amount }) => {
        const plan = planRefund(lines, amount);
        const refundable = refundableAmount(lines);
        if (!plan.ok) {
          expect(refundable).toBeLessThan(amount);
          expect(plan.refundable).toBe(refundable);
          return;
        }
        expect(refundable).toBeGreaterThanOrEqual(amount);
        expect(plan.creditNotes.reduce((sum, note) => sum + note.amount, 0)).toBe(amount);
        for (const note of plan.creditNotes) {
          expect(note.amount).toBeGreaterThan(0);
          expect(note.items.reduce((sum, item) => sum + item.amount, 0)).toBe(note.amount);
          for (const item of note.items) expect(item.amount).toBeGreaterThan(0);
        }
        // One credit note per invoice touched.
        const invoiceIds = plan.creditNotes.map((note) => note.invoiceId);
        expect(new Set(invoiceIds).size).toBe(invoiceIds.length);
      }),
      { numRuns: 500 },
    );
  });

  it("never credits a line beyond its amount, and touches only the lines given", () => {
    fc.assert(
      fc.property(linesAndAmount, ({ lines, amount }) => {
        const plan = planRefund(lines, amount);
        if (!plan.ok) return;
        const byItem = new Map(lines.map((l) => [l.invoiceItemId, l]));
        const seen = new Set<number>();
        for (const note of plan.creditNotes)
          for (const item of note.items) {
            const source = byItem.get(item.invoiceItemId);
            expect(source?.invoiceId).toBe(note.invoiceId);
            expect(seen.has(item.invoiceItemId)).toBe(false);
            seen.add(item.invoiceItemId);
            if (source) expect(source.credited + item.amount).toBeLessThanOrEqual(source.amount);
          }
      }),
      { numRuns: 500 },
    );
  });

  it("touches a line only when every line before it in waterfall order is exhausted", () => {
    fc.assert(
      fc.property(linesAndAmount, ({ lines, amount }) => {
        const plan = planRefund(lines, amount);
        if (!plan.ok) return;
        const taken = new Map<number, number>();
        for (const note of plan.creditNotes)
          for (const item of note.items) taken.set(item.invoiceItemId, item.amount);
        const ordered = [...lines].sort(compareLines);
        const lastTouched = ordered.findLastIndex((l) => taken.has(l.invoiceItemId));
        ordered.slice(0, lastTouched).forEach((l) => {
          // Every newer line is left with nothing refundable.
          expect(l.credited + (taken.get(l.invoiceItemId) ?? 0)).toBe(l.amount);
        });
        // And the credit notes come newest invoice first.
        const noteOrder = plan.creditNotes.map((note) => note.invoiceId);
        const expected = [
          ...new Set(ordered.filter((l) => taken.has(l.invoiceItemId)).map((l) => l.invoiceId)),
        ];
        expect(noteOrder).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });
});
