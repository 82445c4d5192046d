import { describe, expect, it } from "vitest";
import { parseStoreJson } from "../../api/adapters/json.ts";
import { allocate, minorUnitExponent, toMinorUnits } from "../../api/adapters/money.ts";
import { ValidationFailed } from "../../domain/core/errors.ts";

describe("toMinorUnits", () => {
  it("reads decimal strings by the currency's exponent", () => {
    expect(toMinorUnits("19900.00", "KRW", "f")).toBe(19900);
    expect(toMinorUnits("19900", "KRW", "f")).toBe(19900);
    expect(toMinorUnits("12.50", "USD", "f")).toBe(1250);
    expect(toMinorUnits("12.5", "EUR", "f")).toBe(1250);
    expect(toMinorUnits("0.07", "USD", "f")).toBe(7);
    expect(toMinorUnits("1500", "JPY", "f")).toBe(1500);
    expect(toMinorUnits("1.234", "KWD", "f")).toBe(1234);
    expect(toMinorUnits("7", "BHD", "f")).toBe(7000);
    expect(toMinorUnits("0.00", "USD", "f")).toBe(0);
  });

  it("is exact where float multiplication is not", () => {
    // In floating point 1.01 × 100 = 101.00000000000001 and 4.35 × 100 = 434.99999999999994.
    expect(toMinorUnits("1.01", "USD", "f")).toBe(101);
    expect(toMinorUnits("4.35", "USD", "f")).toBe(435);
    expect(toMinorUnits("9007199254740.99", "USD", "f")).toBe(900719925474099);
    expect(toMinorUnits(195.67, "USD", "f")).toBe(19567);
    expect(toMinorUnits(30.6, "USD", "f")).toBe(3060);
  });

  it("refuses decimals the currency does not have, and anything not a plain decimal", () => {
    const refused = (value: unknown, currency: string) => {
      try {
        toMinorUnits(value, currency, "items.0.price");
        return null;
      } catch (error) {
        expect(error).toBeInstanceOf(ValidationFailed);
        return (error as ValidationFailed).errors[0]?.field;
      }
    };
    expect(refused("19900.50", "KRW")).toBe("items.0.price");
    expect(refused("12.505", "USD")).toBe("items.0.price");
    expect(refused("-1.00", "USD")).toBe("items.0.price");
    expect(refused("1e3", "USD")).toBe("items.0.price");
    expect(refused("12,50", "EUR")).toBe("items.0.price");
    expect(refused("", "USD")).toBe("items.0.price");
    expect(refused(null, "USD")).toBe("items.0.price");
    expect(refused(1e-7, "USD")).toBe("items.0.price");
    expect(refused("99999999999999999999", "USD")).toBe("items.0.price");
    expect(toMinorUnits("12.5000", "USD", "f")).toBe(1250);
  });

  it("knows the exponents that are not 2", () => {
    expect([minorUnitExponent("KRW"), minorUnitExponent("JPY"), minorUnitExponent("USD")]).toEqual([0, 0, 2]);
    expect([minorUnitExponent("KWD"), minorUnitExponent("CLF"), minorUnitExponent("EUR")]).toEqual([3, 4, 2]);
  });
});

describe("allocate", () => {
  it("splits in proportion and sums exactly", () => {
    expect(allocate(1720, [60800, 20900])).toEqual([1280, 440]);
    expect(allocate(535, [4050, 3400])).toEqual([291, 244]);
    expect(allocate(10, [1, 1, 1])).toEqual([4, 3, 3]);
    expect(allocate(0, [5, 5])).toEqual([0, 0]);
    expect(allocate(7, [0, 0])).toEqual([0, 7]);
  });
});

describe("parseStoreJson", () => {
  it("keeps 64-bit integers exact and leaves other numbers alone", () => {
    expect(parseStoreJson('{"id":820982911946154508,"n":5940139491234,"x":30.6}')).toEqual({
      id: "820982911946154508",
      n: 5940139491234,
      x: 30.6,
    });
  });
});
