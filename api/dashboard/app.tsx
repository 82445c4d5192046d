/**
 * The operators' dashboard (SPEC §15): server-rendered pages under /dashboard, signed in with an API key
 * (a signed session cookie holding the key's id), five report tabs over one brand at a time, and the
 * heatmap's cells as forms that save a cohort. No client script; every chart is SVG drawn here.
 */

import type { Context } from "hono";
import { Hono } from "hono";
import type { Child } from "hono/jsx";
import { createCellCohort } from "../../domain/cohorts/rfm-cell.ts";
import { dashboardAcquisition } from "../../domain/dashboard/acquisition.ts";
import { activePrincipal, type DashboardBrand, visibleBrands } from "../../domain/dashboard/brands.ts";
import { dashboardCampaigns } from "../../domain/dashboard/campaigns.ts";
import { dashboardCohorts } from "../../domain/dashboard/cohorts.ts";
import { dashboardExperiments } from "../../domain/dashboard/experiments.ts";
import { dashboardOverview } from "../../domain/dashboard/overview.ts";
import { latestCompleteDay } from "../../domain/dashboard/window.ts";
import { authenticateApiKey } from "../../domain/ops/api-keys.ts";
import { dbConfig, edgeConfig } from "../../domain/platform/env.ts";
import { rfmHeatmap } from "../../domain/rfm/heatmap.ts";
import type { HonoEnv } from "../hono-env.ts";
import { database } from "../middleware/db.ts";
import { Page, type TabPath } from "./components.tsx";
import { AcquisitionTab } from "./pages/acquisition.tsx";
import { CampaignsTab } from "./pages/campaigns.tsx";
import { CohortsTab } from "./pages/cohorts.tsx";
import { ExperimentsTab } from "./pages/experiments.tsx";
import { OverviewTab } from "./pages/overview.tsx";
import { SignIn } from "./pages/sign-in.tsx";
import {
  clearedSessionCookie,
  readSession,
  sameOrigin,
  sessionCookie,
  sessionCookieValue,
  sessionSeconds,
  signSession,
} from "./session.ts";

type DashboardContext = Context<HonoEnv>;

/** The tabs read this many days of the nightly aggregates. */
export const dashboardDays = 90;

/** Pages are the operator's own: never cached, never framed, nothing loaded from elsewhere, no script. */
const securityHeaders: Record<string, string> = {
  "cache-control": "no-store",
  "content-security-policy":
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "same-origin",
};

function html(c: DashboardContext, body: Child, status: 200 | 400 | 401 | 403 | 404 | 500 | 503 = 200) {
  for (const [name, value] of Object.entries(securityHeaders)) c.header(name, value);
  return c.html(body as string, status);
}

const secretOf = (c: DashboardContext): string | undefined => dbConfig(c.env).DASHBOARD_SESSION_SECRET;

const notConfigured = (c: DashboardContext) =>
  html(
    c,
    <Page title="Not configured" tab={null}>
      <p class="error">The dashboard is off: DASHBOARD_SESSION_SECRET is not set.</p>
    </Page>,
    503,
  );

const toSignIn = (c: DashboardContext) => {
  c.header("set-cookie", clearedSessionCookie);
  c.header("cache-control", "no-store");
  return c.redirect("/dashboard/sign-in", 303);
};

const forbiddenOrigin = (c: DashboardContext) =>
  html(
    c,
    <Page title="Refused" tab={null}>
      <p class="error">This form was not sent from the dashboard's own pages.</p>
    </Page>,
    403,
  );

interface BrandChoice {
  brands: DashboardBrand[];
  brand: DashboardBrand | null;
  ref: string | undefined;
}

/** The brands of the session's key and the one asked for (`?brand=`), else the first. */
async function chooseBrand(c: DashboardContext, asked: string | undefined): Promise<BrandChoice> {
  const brands = await visibleBrands({ db: c.var.db, principal: c.var.apiKey });
  const id = asked ? c.var.ids.decode("brand", asked) : null;
  const brand = brands.find((b) => b.id === id) ?? brands[0] ?? null;
  return { brands, brand, ref: brand ? c.var.ids.encode("brand", brand.id) : undefined };
}

const titles: Record<TabPath, string> = {
  overview: "Overview",
  campaigns: "Campaigns and funnel",
  experiments: "Experiments",
  cohorts: "Cohorts and RFM",
  acquisition: "Acquisition",
};

async function tab(
  c: DashboardContext,
  path: TabPath,
  render: (brand: DashboardBrand, ref: string, currency: string | undefined) => Promise<Child>,
) {
  const choice = await chooseBrand(c, c.req.query("brand"));
  const currency = c.req.query("currency");
  const asked = currency && /^[A-Z]{3}$/.test(currency) ? currency : undefined;
  const content =
    choice.brand && choice.ref ? (
      await render(choice.brand, choice.ref, asked)
    ) : (
      <p>This API key sees no brand.</p>
    );
  return html(
    c,
    <Page
      title={titles[path]}
      tab={path}
      brands={choice.brands.map((b) => ({ ref: c.var.ids.encode("brand", b.id), name: b.name }))}
      brand={choice.ref}
    >
      {content}
    </Page>,
  );
}

const verbCtx = (c: DashboardContext) => ({ db: c.var.db, principal: c.var.apiKey, ids: c.var.ids });

/** The dashboard's routes, mounted at /dashboard by the API app. */
export function dashboardApp(): Hono<HonoEnv> {
  const app = new Hono<HonoEnv>();
  app.onError((error, c) => {
    console.error(
      JSON.stringify({
        event: "dashboard.error",
        requestId: c.var.requestId,
        error: String(error).split("\n")[0],
      }),
    );
    return html(
      c,
      <Page title="Error" tab={null}>
        <p class="error">Something went wrong (request {c.var.requestId}).</p>
      </Page>,
      500,
    );
  });
  app.notFound((c) =>
    html(
      c,
      <Page title="Not found" tab={null}>
        <p>
          No such page. <a href="/dashboard/overview">Back to the dashboard</a>.
        </p>
      </Page>,
      404,
    ),
  );

  app.use("*", async (c, next) => {
    if (!secretOf(c)) return notConfigured(c);
    // Every form post: from this origin only (SameSite=Strict keeps the cookie off cross-site posts too).
    if (
      c.req.method === "POST" &&
      !sameOrigin(c.req.url, c.req.header("origin"), c.req.header("sec-fetch-site"))
    )
      return forbiddenOrigin(c);
    await next();
  });
  app.use("*", database);

  app.get("/sign-in", (c) => html(c, <SignIn />));
  app.post("/sign-in", async (c) => {
    const form = await c.req.parseBody();
    const key = typeof form.key === "string" ? form.key.trim() : "";
    const result = await authenticateApiKey(c.var.db, key);
    if (!result.ok) {
      const message = result.reason === "revoked" ? "This API key has been revoked." : "Unknown API key.";
      return html(c, <SignIn error={message} />, 401);
    }
    const secret = secretOf(c) ?? "";
    const value = await signSession(secret, {
      apiKeyId: result.principal.apiKeyId,
      expiresAt: Math.floor(Date.now() / 1000) + sessionSeconds,
    });
    c.header("set-cookie", sessionCookie(value));
    c.header("cache-control", "no-store");
    return c.redirect("/dashboard/overview", 303);
  });
  app.post("/sign-out", (c) => toSignIn(c));

  // Everything else needs a session whose key is still active: looked up on every request.
  app.use("*", async (c, next) => {
    const value = sessionCookieValue(c.req.header("cookie"));
    const session = value ? await readSession(secretOf(c) ?? "", value, new Date()) : null;
    if (!session) return toSignIn(c);
    const principal = await activePrincipal({ db: c.var.db }, session.apiKeyId);
    if (!principal) return toSignIn(c);
    c.set("apiKey", principal);
    await next();
  });

  app.get("/", (c) => c.redirect("/dashboard/overview", 303));
  const today = () => latestCompleteDay(new Date());
  app.get("/overview", (c) =>
    tab(c, "overview", async (brand, ref, currency) => (
      <OverviewTab
        data={
          await dashboardOverview({
            ctx: verbCtx(c),
            input: { brandId: brand.id, to: today(), days: dashboardDays, currency },
          })
        }
        brandRef={ref}
      />
    )),
  );
  app.get("/campaigns", (c) =>
    tab(c, "campaigns", async (brand) => (
      <CampaignsTab
        campaigns={
          await dashboardCampaigns({
            ctx: verbCtx(c),
            input: { brandId: brand.id, alphabet: edgeConfig(c.env).SQIDS_ALPHABET, now: new Date() },
          })
        }
        ids={c.var.ids}
      />
    )),
  );
  app.get("/experiments", (c) =>
    tab(c, "experiments", async (brand) => (
      <ExperimentsTab
        experiments={await dashboardExperiments({ ctx: verbCtx(c), input: { brandId: brand.id } })}
        ids={c.var.ids}
      />
    )),
  );
  app.get("/cohorts", (c) =>
    tab(c, "cohorts", async (brand, ref, currency) => {
      const ctx = verbCtx(c);
      let heatmap = await rfmHeatmap({ ctx, input: { brandId: brand.id, currency } });
      let currencies: string[] = [];
      if ("currencyRequired" in heatmap) {
        currencies = heatmap.currencyRequired;
        const first = currencies[0];
        heatmap = await rfmHeatmap({ ctx, input: { brandId: brand.id, currency: first } });
      } else if (currency !== undefined && heatmap.accounts === 0) {
        // A currency the brand has no scores in: show the brand's own.
        heatmap = await rfmHeatmap({ ctx, input: { brandId: brand.id } });
        if ("currencyRequired" in heatmap) {
          currencies = heatmap.currencyRequired;
          heatmap = await rfmHeatmap({ ctx, input: { brandId: brand.id, currency: currencies[0] } });
        }
      }
      const created = c.req.query("created");
      const members = c.req.query("members");
      return (
        <CohortsTab
          brandRef={ref}
          heatmap={"currencyRequired" in heatmap ? null : heatmap}
          currencies={currencies}
          cohorts={await dashboardCohorts({ ctx, input: { brandId: brand.id } })}
          ids={c.var.ids}
          created={
            created && c.var.ids.decode("cohort", created) !== null
              ? { ref: created, members: members && /^\d+$/.test(members) ? Number(members) : null }
              : null
          }
        />
      );
    }),
  );
  app.get("/acquisition", (c) =>
    tab(c, "acquisition", async (brand, ref, currency) => (
      <AcquisitionTab
        data={
          await dashboardAcquisition({
            ctx: verbCtx(c),
            input: { brandId: brand.id, to: today(), days: dashboardDays, currency },
          })
        }
        brandRef={ref}
      />
    )),
  );

  app.post("/rfm/cell", async (c) => {
    const form = await c.req.parseBody();
    const score = (value: unknown) =>
      typeof value === "string" && /^[1-5]$/.test(value) ? Number(value) : null;
    const r = score(form.r);
    const f = score(form.f);
    const brandRef = typeof form.brand === "string" ? form.brand : "";
    const choice = await chooseBrand(c, brandRef);
    if (r === null || f === null || !choice.brand || choice.ref !== brandRef) {
      return html(
        c,
        <Page title="Refused" tab={null}>
          <p class="error">Not a cell of a brand this key may see (brand, r and f from 1 to 5).</p>
        </Page>,
        400,
      );
    }
    // The same verb as POST /api/v1/rfm/cells/cohort.
    const cohort = await createCellCohort({
      ctx: verbCtx(c),
      input: { brand: brandRef, r, f, refresh: "none" },
    });
    const ref = c.var.ids.encode("cohort", cohort.id);
    return c.redirect(
      `/dashboard/cohorts?brand=${encodeURIComponent(brandRef)}&created=${ref}&members=${cohort.memberCount}#cohort-${ref}`,
      303,
    );
  });
  return app;
}
