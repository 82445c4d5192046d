import { describe, expect, it } from "vitest";
import { documentNumber } from "../../domain/ledger/document-numbers.ts";

describe("documentNumber", () => {
  it("prints the place in the account's series after its reference, four digits at least", () => {
    expect(documentNumber("invoice", "Xk3p9QaB", 7)).toBe("Xk3p9QaB-0007");
    expect(documentNumber("credit_note", "Xk3p9QaB", 3)).toBe("Xk3p9QaB-CN-0003");
    expect(documentNumber("invoice", "Xk3p9QaB", 12_345)).toBe("Xk3p9QaB-12345");
  });

  it("has no number for a document issued before numbering, and refuses a place that cannot be one", () => {
    expect(documentNumber("invoice", "Xk3p9QaB", null)).toBeNull();
    expect(() => documentNumber("invoice", "Xk3p9QaB", 0)).toThrow(RangeError);
    expect(() => documentNumber("credit_note", "Xk3p9QaB", 1.5)).toThrow(RangeError);
  });
});
