import { webcrypto } from "node:crypto";
import { runInNewContext } from "node:vm";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { maxBeaconEvents, occurredAt, parseBeacon } from "../../domain/tracking/beacon.ts";
import { ga4Requests, ga4Url } from "../../domain/tracking/ga4.ts";
import { trackerScript } from "../../domain/tracking/script.ts";

const captureId = "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";

const validBeacon = () => ({
  v: 1,
  brand: "Xk3G7QAe",
  vid: "a1b2c3d4e5f60718293a4b5c6d7e8f90",
  sid: "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
  sent: 1_765_000_000_000,
  ctx: { capture: captureId, lr_m: "AbC123xyz9", gclid: "Cj0KCQ", click_id: "aff-77" },
  events: [
    {
      type: "page_view",
      t: 1_765_000_000_000,
      url: "https://shop.test/spring?capture=x",
      ref: "https://google.com/",
      title: "Spring",
    },
    {
      type: "click",
      t: 1_764_999_999_000,
      url: "https://shop.test/spring",
      el: { tag: "a", href: "https://shop.test/buy", text: "Buy now", id: "buy" },
    },
  ],
});

describe("the /collect beacon", () => {
  it("parses a page view and a click with the page's ids", () => {
    expect(parseBeacon(validBeacon())).toEqual({
      ok: true,
      beacon: {
        brand: "Xk3G7QAe",
        visitorId: "a1b2c3d4e5f60718293a4b5c6d7e8f90",
        sessionId: "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
        sent: 1_765_000_000_000,
        captureId,
        linkToken: "AbC123xyz9",
        clickIds: { gclid: "Cj0KCQ", click_id: "aff-77" },
        events: [
          {
            type: "page_view",
            t: 1_765_000_000_000,
            url: "https://shop.test/spring?capture=x",
            referrer: "https://google.com/",
            title: "Spring",
            element: null,
          },
          {
            type: "click",
            t: 1_764_999_999_000,
            url: "https://shop.test/spring",
            referrer: null,
            title: null,
            element: { tag: "a", href: "https://shop.test/buy", text: "Buy now", id: "buy" },
          },
        ],
      },
    });
  });

  it("names the first bad field", () => {
    const cases: [unknown, string, string][] = [
      [[], "body", "malformed"],
      [{ ...validBeacon(), v: 2 }, "v", "not_allowed"],
      [{ ...validBeacon(), brand: "" }, "brand", "missing"],
      [{ ...validBeacon(), brand: "no/such" }, "brand", "malformed"],
      [{ ...validBeacon(), vid: "short" }, "vid", "malformed"],
      [{ ...validBeacon(), sid: 12 }, "sid", "malformed"],
      [{ ...validBeacon(), sent: "now" }, "sent", "malformed"],
      [{ ...validBeacon(), ctx: { capture: "not-a-uuid" } }, "ctx.capture", "malformed"],
      [{ ...validBeacon(), ctx: { lr_m: "a-b" } }, "ctx.lr_m", "malformed"],
      [{ ...validBeacon(), ctx: { gclid: "with space" } }, "ctx.gclid", "malformed"],
      [{ ...validBeacon(), events: [] }, "events", "missing"],
      [{ ...validBeacon(), events: "x" }, "events", "malformed"],
      [
        {
          ...validBeacon(),
          events: Array.from({ length: maxBeaconEvents + 1 }, () => validBeacon().events[0]),
        },
        "events",
        "out_of_range",
      ],
      [
        { ...validBeacon(), events: [{ type: "scroll", t: 1, url: "https://a.test/" }] },
        "events.0.type",
        "not_allowed",
      ],
      [{ ...validBeacon(), events: [{ t: 1, url: "https://a.test/" }] }, "events.0.type", "missing"],
      [
        { ...validBeacon(), events: [{ type: "page_view", t: 1, url: "javascript:alert(1)" }] },
        "events.0.url",
        "not_allowed",
      ],
      [
        { ...validBeacon(), events: [{ type: "page_view", t: 1, url: "/relative" }] },
        "events.0.url",
        "malformed",
      ],
      [
        {
          ...validBeacon(),
          events: [{ type: "page_view", t: 1, url: `https://a.test/${"x".repeat(2048)}` }],
        },
        "events.0.url",
        "too_long",
      ],
      [
        {
          ...validBeacon(),
          events: [{ type: "page_view", t: 1, url: "https://a.test/", title: "t".repeat(301) }],
        },
        "events.0.title",
        "too_long",
      ],
      [
        { ...validBeacon(), events: [{ type: "click", t: 1, url: "https://a.test/", el: { tag: "A" } }] },
        "events.0.el.tag",
        "malformed",
      ],
      [
        { ...validBeacon(), events: [{ type: "page_view", t: -5, url: "https://a.test/" }] },
        "events.0.t",
        "malformed",
      ],
    ];
    for (const [body, field, category] of cases) {
      const result = parseBeacon(body);
      expect(result.ok, field).toBe(false);
      if (!result.ok)
        expect({ field: result.error.field, category: result.error.category }).toEqual({ field, category });
    }
  });

  it("puts events on the edge's clock, bounded to a day back", () => {
    expect(occurredAt(10_000_000_000, 5_000, 4_000)).toBe(9_999_999_000);
    // A page clock ahead of the beacon's own send time is no reason to date an event in the future.
    expect(occurredAt(10_000_000_000, 5_000, 9_000)).toBe(10_000_000_000);
    expect(occurredAt(10_000_000_000, 200_000_000, 0)).toBe(10_000_000_000 - 86_400_000);
  });
});

describe("the Measurement Protocol requests", () => {
  it("groups events by visitor, at most 25 per request, with the exact page_view and click params", () => {
    const events = Array.from({ length: 27 }, (_, index) => ({
      id: `e${index}`,
      visitorId: index === 26 ? "v2" : "v1",
      type: index === 1 ? "click" : "page_view",
      url: `https://shop.test/${index}`,
      referrer: index === 0 ? "https://google.com/" : null,
      title: index === 0 ? "Home" : null,
      element: index === 1 ? { href: "https://shop.test/buy", text: "Buy" } : null,
    }));
    const requests = ga4Requests(events);
    expect(requests.map((r) => [r.body.client_id, r.eventIds.length])).toEqual([
      ["v1", 25],
      ["v1", 1],
      ["v2", 1],
    ]);
    expect(requests[0]?.body.events.slice(0, 3)).toEqual([
      {
        name: "page_view",
        params: {
          page_location: "https://shop.test/0",
          page_referrer: "https://google.com/",
          page_title: "Home",
          engagement_time_msec: 1,
        },
      },
      {
        name: "click",
        params: {
          page_location: "https://shop.test/1",
          link_url: "https://shop.test/buy",
          link_text: "Buy",
          engagement_time_msec: 1,
        },
      },
      { name: "page_view", params: { page_location: "https://shop.test/2", engagement_time_msec: 1 } },
    ]);
    expect(ga4Url("https://www.google-analytics.com/mp/collect", "G-ABC123", "s3cr et")).toBe(
      "https://www.google-analytics.com/mp/collect?measurement_id=G-ABC123&api_secret=s3cr+et",
    );
  });
});

interface FakePage {
  beacons: { url: string; body: unknown }[];
  fetched: { url: string; init: Record<string, unknown> }[];
  cookie: () => string;
  local: Map<string, string>;
  session: Map<string, string>;
  click: (target: unknown) => void;
  window: Record<string, unknown>;
}

function storage(map: Map<string, string>) {
  return {
    getItem: (key: string) => map.get(key) ?? null,
    setItem: (key: string, value: string) => {
      map.set(key, String(value));
    },
  };
}

/** Runs the script in a fake page: just what it touches of window, document and navigator. */
function runScript(
  options: {
    href?: string;
    attributes?: Record<string, string>;
    navigator?: Record<string, unknown>;
    leadrail?: unknown;
    beaconAccepts?: boolean;
    cookie?: string;
    local?: Map<string, string>;
    session?: Map<string, string>;
  } = {},
): FakePage {
  const beacons: FakePage["beacons"] = [];
  const fetched: FakePage["fetched"] = [];
  const cookies = new Map<string, string>();
  if (options.cookie) {
    const [name, value] = options.cookie.split("=");
    if (name && value) cookies.set(name, value);
  }
  const local = options.local ?? new Map<string, string>();
  const session = options.session ?? new Map<string, string>();
  const listeners = new Map<string, (event: unknown) => void>();
  const attributes: Record<string, string> = { "data-brand": "Xk3G7QAe", ...options.attributes };
  const document = {
    currentScript: {
      src: "https://edge.leadrail.test/t.js",
      getAttribute: (name: string) => attributes[name] ?? null,
    },
    readyState: "complete",
    referrer: "https://google.com/",
    title: "Spring sale",
    get cookie() {
      return [...cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    },
    set cookie(value: string) {
      const [pair] = value.split("; ");
      const [name, v] = (pair ?? "").split("=");
      if (name && v !== undefined) cookies.set(name, v);
      cookieWrites.push(value);
    },
    addEventListener: (type: string, listener: (event: unknown) => void) => {
      listeners.set(type, listener);
    },
  };
  const cookieWrites: string[] = [];
  const navigator = {
    sendBeacon: (url: string, body: string) => {
      beacons.push({ url, body: JSON.parse(body) });
      return options.beaconAccepts ?? true;
    },
    ...options.navigator,
  };
  const window: Record<string, unknown> = {
    navigator,
    location: { href: options.href ?? "https://shop.test/spring", protocol: "https:" },
    crypto: webcrypto,
    localStorage: storage(local),
    sessionStorage: storage(session),
    fetch: (url: string, init: Record<string, unknown>) => {
      fetched.push({ url, init });
      return Promise.resolve({});
    },
    leadrail: options.leadrail,
  };
  runInNewContext(trackerScript, { window, document, URL, Uint8Array, JSON, Number, String, Date });
  return {
    beacons,
    fetched,
    cookie: () => cookieWrites.join("\n"),
    local,
    session,
    click: (target) => listeners.get("click")?.({ target }),
    window,
  };
}

const bodyOf = (page: FakePage, index: number): Record<string, unknown> =>
  (page.beacons[index]?.body ?? {}) as Record<string, unknown>;

const link = (fields: Record<string, unknown>) => {
  const element = { nodeType: 1, tagName: "A", ...fields, closest: () => element };
  return element;
};

describe("the tracker script", () => {
  it("is small: under 4 KB gzipped", () => {
    const gzipped = gzipSync(Buffer.from(trackerScript)).byteLength;
    expect(gzipped).toBeLessThan(4096);
  });

  it("sends a page view on load with the visitor, the session and the page's ids, and keeps the visitor id", () => {
    const page = runScript({
      href: `https://shop.test/spring?capture=${captureId}&lr_m=AbC123xyz9&gclid=Cj0&fbclid=Fb1&ttclid=Tt1&click_id=aff-77&utm_source=x`,
    });
    expect(page.beacons).toHaveLength(1);
    const [beacon] = page.beacons;
    expect(beacon?.url).toBe("https://edge.leadrail.test/collect");
    const body = beacon?.body as Record<string, unknown>;
    expect(parseBeacon(body).ok).toBe(true);
    expect(body).toEqual({
      v: 1,
      brand: "Xk3G7QAe",
      vid: expect.stringMatching(/^[0-9a-f]{32}$/),
      sid: expect.stringMatching(/^[0-9a-f]{32}$/),
      sent: expect.any(Number),
      ctx: {
        capture: captureId,
        lr_m: "AbC123xyz9",
        gclid: "Cj0",
        fbclid: "Fb1",
        ttclid: "Tt1",
        click_id: "aff-77",
      },
      events: [
        {
          type: "page_view",
          t: expect.any(Number),
          url: `https://shop.test/spring?capture=${captureId}&lr_m=AbC123xyz9&gclid=Cj0&fbclid=Fb1&ttclid=Tt1&click_id=aff-77&utm_source=x`,
          ref: "https://google.com/",
          title: "Spring sale",
        },
      ],
    });
    expect(page.cookie()).toBe(`lr_vid=${String(body.vid)}; Max-Age=63072000; Path=/; SameSite=Lax; Secure`);
    expect(page.local.get("lr_vid")).toBe(body.vid);

    // The next page of the session: the same visitor and session, the capture still named.
    const next = runScript({ cookie: `lr_vid=${String(body.vid)}`, session: page.session });
    const nextBody = next.beacons[0]?.body as Record<string, unknown>;
    expect(nextBody.vid).toBe(body.vid);
    expect(nextBody.sid).toBe(body.sid);
    expect(nextBody.ctx).toEqual(body.ctx);
    // localStorage alone brings the visitor back when the cookie is gone.
    const restored = runScript({ local: page.local });
    expect(bodyOf(restored, 0).vid).toBe(body.vid);
  });

  it("sends clicks on links and buttons with the href and text cut short", () => {
    const page = runScript();
    page.click(
      link({
        href: `https://shop.test/${"p".repeat(3000)}`,
        innerText: `  Buy\n now ${"!".repeat(300)}`,
        id: "buy",
      }),
    );
    page.click({ nodeType: 1, closest: () => null });
    expect(page.beacons).toHaveLength(2);
    const events = bodyOf(page, 1).events as Record<string, unknown>[];
    expect(events).toHaveLength(1);
    const el = events[0]?.el as Record<string, string>;
    expect(events[0]?.type).toBe("click");
    expect(el.tag).toBe("a");
    expect(el.href).toHaveLength(2048);
    expect(el.text).toHaveLength(200);
    expect(el.text?.startsWith("Buy now !!!")).toBe(true);
    expect(el.id).toBe("buy");
  });

  it("falls back to fetch with keepalive when sendBeacon refuses", () => {
    const page = runScript({ beaconAccepts: false });
    expect(page.fetched).toHaveLength(1);
    expect(page.fetched[0]?.url).toBe("https://edge.leadrail.test/collect");
    expect(page.fetched[0]?.init).toMatchObject({
      method: "POST",
      keepalive: true,
      credentials: "omit",
      headers: { "content-type": "text/plain;charset=UTF-8" },
    });
  });

  it("sends nothing and stores nothing under do-not-track, GPC or a refused consent", () => {
    const refusals = [
      runScript({ navigator: { doNotTrack: "1" } }),
      runScript({ navigator: { globalPrivacyControl: true } }),
      runScript({ leadrail: { consent: false } }),
      runScript({ attributes: { "data-consent": "denied" } }),
    ];
    for (const page of refusals) {
      page.click(link({ href: "https://shop.test/buy", innerText: "Buy" }));
      expect(page.beacons).toEqual([]);
      expect(page.fetched).toEqual([]);
      expect(page.cookie()).toBe("");
      expect(page.local.size).toBe(0);
      expect(page.session.size).toBe(0);
    }
    // Consent given (or do-not-track "0") tracks as usual; no brand on the tag tracks nothing.
    expect(runScript({ navigator: { doNotTrack: "0" }, leadrail: { consent: true } }).beacons).toHaveLength(
      1,
    );
    expect(runScript({ attributes: { "data-brand": "" } }).beacons).toEqual([]);
  });

  it("stops at a consent withdrawn after load", () => {
    const page = runScript({ leadrail: {} });
    expect(page.beacons).toHaveLength(1);
    page.click(link({ href: "https://shop.test/a", innerText: "A" }));
    expect(page.beacons).toHaveLength(2);
    // The page withdraws consent: the script reads window.leadrail at each event.
    page.window.leadrail = { consent: false };
    page.click(link({ href: "https://shop.test/b", innerText: "B" }));
    expect(page.beacons).toHaveLength(2);
  });
});
