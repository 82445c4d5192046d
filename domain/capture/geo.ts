import { truncateText } from "../core/text.ts";
/** One `capture_geo` row: where Cloudflare placed the visitor. */
export interface CaptureGeo {
  country: string | null;
  region: string | null;
  regionCode: string | null;
  city: string | null;
  postalCode: string | null;
  continent: string | null;
  latitude: number | null;
  longitude: number | null;
  timezone: string | null;
  asn: number | null;
  asOrganization: string | null;
  colo: string | null;
  botScore: number | null;
  verifiedBot: boolean | null;
}

/**
 * GeoIP (pipeline stage 4) from `request.cf` as the edge recorded it: no lookup of our own.
 * Cloudflare sends coordinates as strings; anything of the wrong shape becomes `null`.
 */
export function geoFromCf(cf: Record<string, unknown> | null): CaptureGeo {
  const source = cf ?? {};
  const management = source.botManagement;
  const bot = typeof management === "object" && management !== null ? management : {};
  const score = "score" in bot ? integer(bot.score) : null;
  return {
    country: text(source.country),
    region: text(source.region),
    regionCode: text(source.regionCode),
    city: text(source.city),
    postalCode: text(source.postalCode),
    continent: text(source.continent),
    latitude: coordinate(source.latitude, 90),
    longitude: coordinate(source.longitude, 180),
    timezone: text(source.timezone),
    asn: integer(source.asn),
    asOrganization: text(source.asOrganization),
    colo: text(source.colo),
    botScore: score !== null && score >= 0 && score <= 100 ? score : null,
    verifiedBot: "verifiedBot" in bot && typeof bot.verifiedBot === "boolean" ? bot.verifiedBot : null,
  };
}

function text(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const trimmed = value.trim();
  return trimmed === "" ? null : truncateText(trimmed, 256);
}

function number(value: unknown): number | null {
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (typeof value === "string" && value.trim() !== "") {
    const parsed = Number(value);
    return Number.isFinite(parsed) ? parsed : null;
  }
  return null;
}

function integer(value: unknown): number | null {
  const parsed = number(value);
  return parsed !== null && Number.isInteger(parsed) && Math.abs(parsed) <= 2 ** 31 - 1 ? parsed : null;
}

function coordinate(value: unknown, limit: number): number | null {
  const parsed = number(value);
  return parsed !== null && Math.abs(parsed) <= limit ? parsed : null;
}
