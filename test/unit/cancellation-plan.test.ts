import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  cancellationRefund,
  type InvoiceLineState,
  planCancellation,
} from "../../domain/ledger/cancellation-plan.ts";

// An invoice of two product lines and shipping: 60,000 + 12,000 + 3,000 = 75,000.
const lines: InvoiceLineState[] = [
  { invoiceItemId: 11, amount: 60_000, credited: 0 },
  { invoiceItemId: 12, amount: 12_000, credited: 0 },
  { invoiceItemId: 13, amount: 3_000, credited: 0 },
];
const rests = [
  { invoiceItemId: 11, amount: 60_000 },
  { invoiceItemId: 12, amount: 12_000 },
  { invoiceItemId: 13, amount: 3_000 },
];

describe("cancellationRefund", () => {
  it("pays back what the order was paid and not yet refunded", () => {
    expect(cancellationRefund({ paid: 75_000, refunded: 0, balance: 75_000 }, 75_000)).toBe(75_000);
    expect(cancellationRefund({ paid: 75_000, refunded: 12_000, balance: 63_000 }, 63_000)).toBe(63_000);
    expect(cancellationRefund({ paid: 30_000, refunded: 0, balance: 30_000 }, 75_000)).toBe(30_000);
  });

  it("is 0 for an unpaid order, and never negative", () => {
    expect(cancellationRefund({ paid: 0, refunded: 0, balance: 0 }, 75_000)).toBe(0);
    expect(cancellationRefund({ paid: 10_000, refunded: 12_000, balance: 5_000 }, 63_000)).toBe(0);
  });

  it("never exceeds the credit nor the account's balance", () => {
    expect(cancellationRefund({ paid: 90_000, refunded: 0, balance: 90_000 }, 75_000)).toBe(75_000);
    expect(cancellationRefund({ paid: 75_000, refunded: 0, balance: 20_000 }, 75_000)).toBe(20_000);
  });
});

describe("planCancellation", () => {
  it("an unpaid order: one credit-only note crediting every line in line order", () => {
    expect(planCancellation(7, lines, 0)).toEqual([
      { invoiceId: 7, amount: 75_000, items: rests, refunded: false },
    ]);
  });

  it("a paid order: one note, linked to the refund", () => {
    expect(planCancellation(7, lines, 75_000)).toEqual([
      { invoiceId: 7, amount: 75_000, items: rests, refunded: true },
    ]);
  });

  it("credits only what is not yet credited, skipping lines already credited in full", () => {
    const refunded = [
      { invoiceItemId: 11, amount: 60_000, credited: 32_000 },
      { invoiceItemId: 12, amount: 12_000, credited: 12_000 },
      { invoiceItemId: 13, amount: 3_000, credited: 0 },
    ];
    expect(planCancellation(7, refunded, 31_000)).toEqual([
      {
        invoiceId: 7,
        amount: 31_000,
        items: [
          { invoiceItemId: 11, amount: 28_000 },
          { invoiceItemId: 13, amount: 3_000 },
        ],
        refunded: true,
      },
    ]);
  });

  it("a partly paid order: the refunded part on its own note (lines in order), the rest credit only", () => {
    expect(planCancellation(7, lines, 65_000)).toEqual([
      {
        invoiceId: 7,
        amount: 65_000,
        items: [
          { invoiceItemId: 11, amount: 60_000 },
          { invoiceItemId: 12, amount: 5_000 },
        ],
        refunded: true,
      },
      {
        invoiceId: 7,
        amount: 10_000,
        items: [
          { invoiceItemId: 12, amount: 7_000 },
          { invoiceItemId: 13, amount: 3_000 },
        ],
        refunded: false,
      },
    ]);
  });

  it("no note when nothing is left to credit", () => {
    const credited = lines.map((line) => ({ ...line, credited: line.amount }));
    expect(planCancellation(7, credited, 0)).toEqual([]);
  });

  it("refuses a refund above the credit or below 0", () => {
    expect(() => planCancellation(7, lines, 75_001)).toThrow(RangeError);
    expect(() => planCancellation(7, lines, -1)).toThrow(RangeError);
  });

  it("always credits each line exactly its rest, and the refunded notes add up to the refund", () => {
    const line = fc.record({
      amount: fc.integer({ min: 0, max: 100_000 }),
      creditedShare: fc.integer({ min: 0, max: 100 }),
    });
    fc.assert(
      fc.property(fc.array(line, { maxLength: 6 }), fc.integer({ min: 0, max: 100 }), (raw, share) => {
        const states = raw.map((l, index) => ({
          invoiceItemId: index + 1,
          amount: l.amount,
          credited: Math.floor((l.amount * l.creditedShare) / 100),
        }));
        const credit = states.reduce((sum, l) => sum + l.amount - l.credited, 0);
        const refund = Math.floor((credit * share) / 100);
        const notes = planCancellation(1, states, refund);
        const perLine = new Map<number, number>();
        for (const note of notes) {
          expect(note.amount).toBe(note.items.reduce((sum, item) => sum + item.amount, 0));
          expect(note.amount).toBeGreaterThan(0);
          for (const item of note.items)
            perLine.set(item.invoiceItemId, (perLine.get(item.invoiceItemId) ?? 0) + item.amount);
        }
        for (const l of states) expect(perLine.get(l.invoiceItemId) ?? 0).toBe(l.amount - l.credited);
        const refunded = notes.filter((n) => n.refunded).reduce((sum, n) => sum + n.amount, 0);
        expect(refunded).toBe(refund);
        expect(notes.length).toBe(credit === 0 ? 0 : refund > 0 && refund < credit ? 2 : 1);
      }),
    );
  });
});
