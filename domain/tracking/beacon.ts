/**
 * The beacon the tracker script (`/t.js`) posts to `/collect`, checked by hand rather than with zod: the
 * edge's hot path keeps its own code small and the checks are few. Every bound is here, once.
 */

/** The most body `/collect` reads. */
export const maxBeaconBytes = 16 * 1024;
/** The most events one beacon carries. */
export const maxBeaconEvents = 20;
export const trackerEventTypes = ["page_view", "click"] as const;
export type TrackerEventType = (typeof trackerEventTypes)[number];

export const maxUrlLength = 2048;
export const maxTitleLength = 300;
export const maxElementText = 200;
/** How far before the beacon an event may have happened and keep its own time (queued in a closed tab). */
export const maxEventAgeMs = 24 * 60 * 60 * 1000;

/** Marketing click ids read from the page's URL, as the capture pipeline names them. */
export const trackerClickIdParams = ["gclid", "fbclid", "ttclid", "click_id"] as const;
export type TrackerClickIds = Partial<Record<(typeof trackerClickIdParams)[number], string>>;

export interface BeaconElement {
  tag: string;
  href: string | null;
  text: string | null;
  id: string | null;
}

export interface BeaconEvent {
  type: TrackerEventType;
  /** The page's clock when it happened (ms); only its distance from `sent` is trusted. */
  t: number;
  url: string;
  referrer: string | null;
  title: string | null;
  element: BeaconElement | null;
}

export interface Beacon {
  /** The brand's hash id, as the script tag's `data-brand` said. */
  brand: string;
  visitorId: string;
  sessionId: string;
  /** The page's clock when the beacon left (ms). */
  sent: number;
  captureId: string | null;
  /** The `lr_m` tracked-link token of a message. */
  linkToken: string | null;
  clickIds: TrackerClickIds;
  events: BeaconEvent[];
}

export interface BeaconError {
  /** Dotted path of the bad field (`events.2.url`). */
  field: string;
  category: "missing" | "malformed" | "too_long" | "out_of_range" | "not_allowed";
  message: string;
}

export type BeaconResult = { ok: true; beacon: Beacon } | { ok: false; error: BeaconError };

const trackerId = /^[A-Za-z0-9_-]{8,64}$/;
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const token = /^[A-Za-z0-9]{1,128}$/;
const clickId = /^[\x21-\x7e]{1,256}$/;

class Refused extends Error {
  constructor(readonly error: BeaconError) {
    super(error.message);
  }
}

const refuse = (field: string, category: BeaconError["category"], message: string): never => {
  throw new Refused({ field, category, message });
};

function record(value: unknown, field: string): Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value))
    return refuse(field, "malformed", "An object.");
  return value as Record<string, unknown>;
}

function text(value: unknown, field: string, max: number): string {
  if (value === undefined || value === null || value === "") return refuse(field, "missing", "Required.");
  if (typeof value !== "string") return refuse(field, "malformed", "A string.");
  if (value.length > max) return refuse(field, "too_long", `At most ${max} characters.`);
  return value;
}

function optionalText(value: unknown, field: string, max: number): string | null {
  if (value === undefined || value === null || value === "") return null;
  return text(value, field, max);
}

function pattern(value: unknown, field: string, shape: RegExp, what: string): string {
  const checked = text(value, field, 256);
  if (!shape.test(checked)) return refuse(field, "malformed", what);
  return checked;
}

function optionalPattern(value: unknown, field: string, shape: RegExp, what: string): string | null {
  if (value === undefined || value === null || value === "") return null;
  return pattern(value, field, shape, what);
}

function httpUrl(value: unknown, field: string): string {
  const checked = text(value, field, maxUrlLength);
  let url: URL;
  try {
    url = new URL(checked);
  } catch {
    return refuse(field, "malformed", "An absolute URL.");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:")
    return refuse(field, "not_allowed", "An http or https URL.");
  return checked;
}

function optionalHttpUrl(value: unknown, field: string): string | null {
  if (value === undefined || value === null || value === "") return null;
  return httpUrl(value, field);
}

function instant(value: unknown, field: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value <= 0)
    return refuse(field, "malformed", "Unix milliseconds.");
  return value;
}

function element(value: unknown, field: string): BeaconElement | null {
  if (value === undefined || value === null) return null;
  const source = record(value, field);
  return {
    tag: pattern(source.tag, `${field}.tag`, /^[a-z][a-z0-9-]{0,15}$/, "A lower-case tag name."),
    href: optionalText(source.href, `${field}.href`, maxUrlLength),
    text: optionalText(source.text, `${field}.text`, maxElementText),
    id: optionalText(source.id, `${field}.id`, 128),
  };
}

function event(value: unknown, field: string): BeaconEvent {
  const source = record(value, field);
  const type = source.type;
  if (type === undefined || type === null) return refuse(`${field}.type`, "missing", "Required.");
  if (type !== "page_view" && type !== "click")
    return refuse(`${field}.type`, "not_allowed", "One of page_view, click.");
  return {
    type,
    t: instant(source.t, `${field}.t`),
    url: httpUrl(source.url, `${field}.url`),
    referrer: optionalHttpUrl(source.ref, `${field}.ref`),
    title: optionalText(source.title, `${field}.title`, maxTitleLength),
    element: type === "click" ? element(source.el, `${field}.el`) : null,
  };
}

/**
 * The beacon in `body` (already parsed JSON), or the first field that is wrong. Shape:
 * `{ v: 1, brand, vid, sid, sent, ctx?: { capture, lr_m, gclid, fbclid, ttclid, click_id }, events: [{ type,
 * t, url, ref?, title?, el?: { tag, href, text, id } }] }`.
 */
export function parseBeacon(body: unknown): BeaconResult {
  try {
    const source = record(body, "body");
    if (source.v !== 1) refuse("v", source.v === undefined ? "missing" : "not_allowed", "Must be 1.");
    const ctx = source.ctx === undefined || source.ctx === null ? {} : record(source.ctx, "ctx");
    const clickIds: TrackerClickIds = {};
    for (const param of trackerClickIdParams) {
      const found = optionalPattern(ctx[param], `ctx.${param}`, clickId, "Printable ASCII, at most 256.");
      if (found !== null) clickIds[param] = found;
    }
    const events = source.events;
    if (events === undefined || events === null) refuse("events", "missing", "Required.");
    if (!Array.isArray(events)) return refuse("events", "malformed", "An array.");
    if (events.length === 0) refuse("events", "missing", "At least one event.");
    if (events.length > maxBeaconEvents)
      refuse("events", "out_of_range", `At most ${maxBeaconEvents} events per beacon.`);
    return {
      ok: true,
      beacon: {
        brand: pattern(source.brand, "brand", /^[A-Za-z0-9]{1,64}$/, "A brand hash id."),
        visitorId: pattern(source.vid, "vid", trackerId, "8 to 64 of A-Z a-z 0-9 _ -."),
        sessionId: pattern(source.sid, "sid", trackerId, "8 to 64 of A-Z a-z 0-9 _ -."),
        sent: instant(source.sent, "sent"),
        captureId: optionalPattern(ctx.capture, "ctx.capture", uuid, "A capture id (UUID)."),
        linkToken: optionalPattern(ctx.lr_m, "ctx.lr_m", token, "A tracked-link token."),
        clickIds,
        events: events.map((item, index) => event(item, `events.${index}`)),
      },
    };
  } catch (error) {
    if (error instanceof Refused) return { ok: false, error: error.error };
    throw error;
  }
}

/**
 * When an event happened on the edge's clock: the beacon's arrival less how long before sending the page
 * says it happened (never negative, at most {@link maxEventAgeMs}), so a visitor's wrong clock moves nothing.
 */
export function occurredAt(receivedAt: number, sent: number, t: number): number {
  const age = Math.min(Math.max(sent - t, 0), maxEventAgeMs);
  return receivedAt - age;
}
