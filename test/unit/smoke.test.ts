import { expect, it } from "vitest";
import { hashIds } from "../../domain/hash-ids.ts";

it("round-trips a hash id", () => {
  const codec = hashIds("k3G7QAe51FCsPW92uEOyq4Bg6Sp8YzVTmnU0liwDdHXLajZrfxNhobJIRcMvKt");
  const value = codec.encode("brand", 42);
  expect(codec.decode("brand", value)).toBe(42);
  expect(codec.decode("product", value)).toBeNull();
});
