/** `request.cf` properties the capture pipeline uses (geo, network, TLS), copied when present. */
const keptProperties = [
  "country",
  "isEUCountry",
  "region",
  "regionCode",
  "city",
  "postalCode",
  "metroCode",
  "continent",
  "latitude",
  "longitude",
  "timezone",
  "asn",
  "asOrganization",
  "colo",
  "clientTcpRtt",
  "httpProtocol",
  "tlsVersion",
  "tlsCipher",
  "clientAcceptEncoding",
  "verifiedBotCategory",
] as const;

/** Bot Management fields, present only on zones that have it. */
const keptBotManagement = [
  "score",
  "verifiedBot",
  "staticResource",
  "corporateProxy",
  "ja3Hash",
  "ja4",
] as const;

/** The selection of `request.cf` that goes into the capture message, or `null` when the runtime gave none. */
export function selectCf(cf: unknown): Record<string, unknown> | null {
  if (cf === null || typeof cf !== "object") return null;
  const source = cf as Record<string, unknown>;
  const selected: Record<string, unknown> = {};
  for (const name of keptProperties) {
    const value = source[name];
    if (isScalar(value)) selected[name] = value;
  }
  const bot = source.botManagement;
  if (bot !== null && typeof bot === "object") {
    const botSource = bot as Record<string, unknown>;
    const botSelected: Record<string, unknown> = {};
    for (const name of keptBotManagement) {
      const value = botSource[name];
      if (isScalar(value)) botSelected[name] = value;
    }
    if (Object.keys(botSelected).length > 0) selected.botManagement = botSelected;
  }
  return selected;
}

function isScalar(value: unknown): value is string | number | boolean {
  return (
    (typeof value === "string" && value.length <= 256) ||
    (typeof value === "number" && Number.isFinite(value)) ||
    typeof value === "boolean"
  );
}

/** `request.cf.country` (ISO 3166 alpha-2, or Cloudflare's `XX`/`T1`), cut to 8 characters; null without one. */
export function cfCountry(cf: unknown): string | null {
  return cf !== null && typeof cf === "object" && "country" in cf && typeof cf.country === "string"
    ? cf.country.slice(0, 8)
    : null;
}
