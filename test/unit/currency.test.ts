import { describe, expect, it } from "vitest";
import { formatMinorUnits, minorUnitExponent } from "../../domain/core/currency.ts";

describe("ISO 4217 minor units", () => {
  it("knows the exponents that are not 2", () => {
    expect(
      ["USD", "EUR", "KRW", "JPY", "BHD", "KWD", "JOD", "OMR", "TND", "LYD", "IQD", "CLF"].map(
        minorUnitExponent,
      ),
    ).toEqual([2, 2, 0, 0, 3, 3, 3, 3, 3, 3, 3, 4]);
  });

  it("writes minor units as a decimal in the currency's unit, digit by digit", () => {
    expect(formatMinorUnits(1500, "USD")).toBe("15.00");
    expect(formatMinorUnits(1990, "EUR")).toBe("19.90");
    expect(formatMinorUnits(1, "USD")).toBe("0.01");
    expect(formatMinorUnits(0, "USD")).toBe("0.00");
    expect(formatMinorUnits(1500, "KRW")).toBe("1500");
    expect(formatMinorUnits(1500, "JPY")).toBe("1500");
    expect(formatMinorUnits(1500, "BHD")).toBe("1.500");
    expect(formatMinorUnits(12, "OMR")).toBe("0.012");
    expect(formatMinorUnits(12345, "CLF")).toBe("1.2345");
    expect(formatMinorUnits(Number.MAX_SAFE_INTEGER, "USD")).toBe("90071992547409.91");
  });

  it("writes a negative amount with a leading minus", () => {
    expect(formatMinorUnits(-1500, "USD")).toBe("-15.00");
    expect(formatMinorUnits(-1, "USD")).toBe("-0.01");
    expect(formatMinorUnits(-1500, "KRW")).toBe("-1500");
    expect(formatMinorUnits(-1, "KWD")).toBe("-0.001");
  });
});
