import { sql } from "drizzle-orm";
import { type Cte, recordset } from "../../../db/sql.ts";
import type { CaptureGeo } from "../../../domain/capture/geo.ts";
import { geoFromCf } from "../../../domain/capture/geo.ts";
import type { CaptureMessage } from "../message.ts";
import type { DecidedCapture } from "../types.ts";

/** Stage 4, GeoIP: `request.cf` as the edge saw it; no lookup of our own. */
export function captureGeo(message: CaptureMessage): CaptureGeo {
  return geoFromCf(message.cf);
}

export function geoInsert(captures: readonly DecidedCapture[]): Cte | null {
  if (captures.length === 0) return null;
  const rows = captures.map(({ message, geo }) => ({
    capture_id: message.captureId,
    country: geo.country,
    region: geo.region,
    region_code: geo.regionCode,
    city: geo.city,
    postal_code: geo.postalCode,
    continent: geo.continent,
    latitude: geo.latitude,
    longitude: geo.longitude,
    timezone: geo.timezone,
    asn: geo.asn,
    as_organization: geo.asOrganization,
    colo: geo.colo,
    bot_score: geo.botScore,
    verified_bot: geo.verifiedBot,
  }));
  return {
    name: "geo",
    body: sql`INSERT INTO capture_geo (capture_id, country, region, region_code, city, postal_code, continent,
        latitude, longitude, timezone, asn, as_organization, colo, bot_score, verified_bot)
      SELECT capture_id, country, region, region_code, city, postal_code, continent,
        latitude, longitude, timezone, asn, as_organization, colo, bot_score, verified_bot
      FROM ${recordset(
        rows,
        "capture_id uuid, country text, region text, region_code text, city text, postal_code text, continent text, latitude double precision, longitude double precision, timezone text, asn integer, as_organization text, colo text, bot_score smallint, verified_bot boolean",
      )}`,
  };
}
