import { describe, expect, it } from "vitest";
import { geoFromCf } from "../../domain/capture/geo.ts";
import { seoulCf } from "../support/fixtures.ts";

describe("geoFromCf", () => {
  it("maps request.cf, parsing Cloudflare's string coordinates", () => {
    expect(geoFromCf(seoulCf)).toEqual({
      country: "KR",
      region: "Seoul",
      regionCode: "11",
      city: "Seoul",
      postalCode: "04524",
      continent: "AS",
      latitude: 37.5661,
      longitude: 126.9784,
      timezone: "Asia/Seoul",
      asn: 4766,
      asOrganization: "Korea Telecom",
      colo: "ICN",
      botScore: 87,
      verifiedBot: false,
    });
  });

  it("is all null without request.cf", () => {
    expect(geoFromCf(null)).toEqual({
      country: null,
      region: null,
      regionCode: null,
      city: null,
      postalCode: null,
      continent: null,
      latitude: null,
      longitude: null,
      timezone: null,
      asn: null,
      asOrganization: null,
      colo: null,
      botScore: null,
      verifiedBot: null,
    });
  });

  it("drops values of the wrong shape or out of range", () => {
    const geo = geoFromCf({
      country: 42,
      city: "  ",
      latitude: "95",
      longitude: "abc",
      asn: "4766",
      botManagement: { score: 250, verifiedBot: "yes" },
    });
    expect([
      geo.country,
      geo.city,
      geo.latitude,
      geo.longitude,
      geo.asn,
      geo.botScore,
      geo.verifiedBot,
    ]).toEqual([null, null, null, null, 4766, null, null]);
  });
});
