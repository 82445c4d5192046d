import { OpenAPIHono } from "@hono/zod-openapi";
import { Scalar } from "@scalar/hono-api-reference";
import { bodyLimit } from "hono/body-limit";
import { dashboardApp } from "./dashboard/app.tsx";
import { apiReferenceBundlePath, docsAssetsPrefix } from "./docs-assets.ts";
import type { ApiApp, HonoEnv } from "./hono-env.ts";
import { auth } from "./middleware/auth.ts";
import { database } from "./middleware/db.ts";
import { onError, onNotFound } from "./middleware/errors.ts";
import { services } from "./middleware/services.ts";
import { registerContactAccounts } from "./routes/accounts.by-contact.ts";
import { registerGetAccount } from "./routes/accounts.get.ts";
import { registerListAccounts } from "./routes/accounts.list.ts";
import { registerClassifyAccounts } from "./routes/acquisition.classify.ts";
import { registerCreateAcquisitionRule } from "./routes/acquisition-rules.create.ts";
import { registerDeleteAcquisitionRule } from "./routes/acquisition-rules.delete.ts";
import { registerGetAcquisitionRule } from "./routes/acquisition-rules.get.ts";
import { registerListAcquisitionRules } from "./routes/acquisition-rules.list.ts";
import { registerUpdateAcquisitionRule } from "./routes/acquisition-rules.update.ts";
import { registerPublish } from "./routes/admin.publish.ts";
import { registerAcquisitionComparison } from "./routes/analytics.acquisition.ts";
import { registerCampaignRoi } from "./routes/analytics.campaign-roi.ts";
import { registerCouponRoi } from "./routes/analytics.coupon-roi.ts";
import { registerLtvByAcquisitionMonth } from "./routes/analytics.ltv.ts";
import { registerRetention } from "./routes/analytics.retention.ts";
import { registerCustomerScatter } from "./routes/analytics.scatter.ts";
import { registerCreateApiKey } from "./routes/api-keys.create.ts";
import { registerListApiKeys } from "./routes/api-keys.list.ts";
import { registerRevokeApiKey } from "./routes/api-keys.revoke.ts";
import { registerListBatchRuns } from "./routes/batch-runs.list.ts";
import { registerCreateBrand } from "./routes/brands.create.ts";
import { registerGetBrand } from "./routes/brands.get.ts";
import { registerListBrands } from "./routes/brands.list.ts";
import { registerCancelCampaign } from "./routes/campaigns.cancel.ts";
import { registerCompleteCampaign } from "./routes/campaigns.complete.ts";
import { registerCreateCampaign } from "./routes/campaigns.create.ts";
import { registerCampaignFunnel } from "./routes/campaigns.funnel.ts";
import { registerGetCampaign } from "./routes/campaigns.get.ts";
import { registerLaunchCampaign } from "./routes/campaigns.launch.ts";
import { registerListCampaigns } from "./routes/campaigns.list.ts";
import { registerPauseCampaign } from "./routes/campaigns.pause.ts";
import { registerResumeCampaign } from "./routes/campaigns.resume.ts";
import { registerUpdateCampaign } from "./routes/campaigns.update.ts";
import { registerGetCapture } from "./routes/captures.get.ts";
import { registerCreateCohort } from "./routes/cohorts.create.ts";
import { registerDeleteCohort } from "./routes/cohorts.delete.ts";
import { registerGetCohort } from "./routes/cohorts.get.ts";
import { registerListCohorts } from "./routes/cohorts.list.ts";
import { registerCohortMembers } from "./routes/cohorts.members.ts";
import { registerPreviewCohort } from "./routes/cohorts.preview.ts";
import { registerSnapshotMembers } from "./routes/cohorts.snapshot-members.ts";
import { registerCreateSnapshot } from "./routes/cohorts.snapshots-create.ts";
import { registerSnapshotDiff } from "./routes/cohorts.snapshots-diff.ts";
import { registerListSnapshots } from "./routes/cohorts.snapshots-list.ts";
import { registerUpdateCohort } from "./routes/cohorts.update.ts";
import { registerReconfirmConsents } from "./routes/consents.reconfirm.ts";
import { registerLookupContact } from "./routes/contacts.lookup.ts";
import { registerUnsubscribeContact } from "./routes/contacts.unsubscribe.ts";
import { registerListConversions } from "./routes/conversions.list.ts";
import { registerGetCreditNote } from "./routes/credit-notes.get.ts";
import { registerExperimentResults } from "./routes/experiments.results.ts";
import { registerListFailedEvents } from "./routes/failed-events.list.ts";
import { registerReplayFailedEvents } from "./routes/failed-events.replay.ts";
import { registerDeleteGa4Settings } from "./routes/ga4-settings.delete.ts";
import { registerGetGa4Settings } from "./routes/ga4-settings.get.ts";
import { registerPutGa4Settings } from "./routes/ga4-settings.put.ts";
import { registerHealth } from "./routes/health.get.ts";
import { registerCreateInfluencer } from "./routes/influencers.create.ts";
import { registerGetInfluencer } from "./routes/influencers.get.ts";
import { registerListInfluencers } from "./routes/influencers.list.ts";
import { registerUpdateInfluencer } from "./routes/influencers.update.ts";
import { registerGetInvoice } from "./routes/invoices.get.ts";
import { registerCreateLanding } from "./routes/landings.create.ts";
import { registerGetLanding } from "./routes/landings.get.ts";
import { registerListLandings } from "./routes/landings.list.ts";
import { registerUpdateLanding } from "./routes/landings.update.ts";
import { registerCreateMarket } from "./routes/markets.create.ts";
import { registerDeleteMarket } from "./routes/markets.delete.ts";
import { registerGetMarket } from "./routes/markets.get.ts";
import { registerListMarkets } from "./routes/markets.list.ts";
import { registerUpdateMarket } from "./routes/markets.update.ts";
import { registerCreateTemplate } from "./routes/message-templates.create.ts";
import { registerGetTemplate } from "./routes/message-templates.get.ts";
import { registerListTemplates } from "./routes/message-templates.list.ts";
import { registerUpdateTemplate } from "./routes/message-templates.update.ts";
import { registerGetMessagingSettings } from "./routes/messaging-settings.get.ts";
import { registerPutMessagingSettings } from "./routes/messaging-settings.put.ts";
import { registerCreateOptOut } from "./routes/opt-outs.create.ts";
import { registerCancelOrder } from "./routes/orders.cancel.ts";
import { registerCreateOrder } from "./routes/orders.create.ts";
import { registerCreateCafe24Order } from "./routes/orders.create-cafe24.ts";
import { registerGetOrder } from "./routes/orders.get.ts";
import { registerListOrders } from "./routes/orders.list.ts";
import { registerCreatePartner } from "./routes/partners.create.ts";
import { registerGetPartner } from "./routes/partners.get.ts";
import { registerListPartners } from "./routes/partners.list.ts";
import { registerTestPostback } from "./routes/partners.postbacks-test.ts";
import { registerResumePostbacks } from "./routes/partners.resume-postbacks.ts";
import { registerUpdatePartner } from "./routes/partners.update.ts";
import { registerCreatePayment } from "./routes/payments.create.ts";
import { registerCreateProduct } from "./routes/products.create.ts";
import { registerGetProduct } from "./routes/products.get.ts";
import { registerListProducts } from "./routes/products.list.ts";
import { registerCreateRefund } from "./routes/refunds.create.ts";
import { registerCreateRelayTarget } from "./routes/relay-targets.create.ts";
import { registerDeleteRelayTarget } from "./routes/relay-targets.delete.ts";
import { registerGetRelayTarget } from "./routes/relay-targets.get.ts";
import { registerListRelayTargets } from "./routes/relay-targets.list.ts";
import { registerUpdateRelayTarget } from "./routes/relay-targets.update.ts";
import { registerGetRelayJob } from "./routes/relays.get.ts";
import { registerListRelayJobs } from "./routes/relays.list.ts";
import { registerResendRelayJobs } from "./routes/relays.resend.ts";
import { registerCellCohort } from "./routes/rfm.cells-cohort.ts";
import { registerRfmHeatmap } from "./routes/rfm.heatmap.ts";
import { registerRecomputeRfm } from "./routes/rfm.recompute.ts";
import { registerCreateRule } from "./routes/rules.create.ts";
import { registerDeleteRule } from "./routes/rules.delete.ts";
import { registerGetRule } from "./routes/rules.get.ts";
import { registerListRules } from "./routes/rules.list.ts";
import { registerUpdateRule } from "./routes/rules.update.ts";
import { registerCreateStore } from "./routes/stores.create.ts";
import { registerDeleteStore } from "./routes/stores.delete.ts";
import { registerGetStore } from "./routes/stores.get.ts";
import { registerListStores } from "./routes/stores.list.ts";
import { registerUpdateStore } from "./routes/stores.update.ts";
import { registerGetSubscription } from "./routes/subscriptions.get.ts";
import { registerListSubscriptions } from "./routes/subscriptions.list.ts";
import { registerTransitionSubscription } from "./routes/subscriptions.transition.ts";
import { registerCreateTheme } from "./routes/themes.create.ts";
import { registerGetTheme } from "./routes/themes.get.ts";
import { registerListThemes } from "./routes/themes.list.ts";
import { registerCafe24Webhook } from "./routes/webhooks.cafe24.ts";
import { registerCommerceEvents } from "./routes/webhooks.commerce.ts";
import { registerNormalisedEmailEvents } from "./routes/webhooks.email.ts";
import { registerSendGridEvents } from "./routes/webhooks.email-sendgrid.ts";
import { registerOptOutWebhook } from "./routes/webhooks.messaging-opt-outs.ts";
import { registerSolapiReceipts } from "./routes/webhooks.messaging-solapi.ts";
import { registerShopifyOrdersCreate } from "./routes/webhooks.shopify-orders-create.ts";
import { registerShopifyRefundsCreate } from "./routes/webhooks.shopify-refunds-create.ts";
import { registerShopifyTopic } from "./routes/webhooks.shopify-topic.ts";
import { withComponentExamples } from "./schemas/examples.ts";
import { validationHook } from "./validation.ts";

const routes: ((app: ApiApp) => void)[] = [
  registerHealth,
  registerCreateBrand,
  registerListBrands,
  registerGetBrand,
  registerCreateTheme,
  registerListThemes,
  registerGetTheme,
  registerCreatePartner,
  registerListPartners,
  registerGetPartner,
  registerUpdatePartner,
  registerTestPostback,
  registerResumePostbacks,
  registerCreateProduct,
  registerListProducts,
  registerGetProduct,
  registerCreateLanding,
  registerListLandings,
  registerGetLanding,
  registerUpdateLanding,
  registerCreateRule,
  registerListRules,
  registerGetRule,
  registerUpdateRule,
  registerDeleteRule,
  registerGetCapture,
  registerLookupContact,
  registerUnsubscribeContact,
  registerCreateApiKey,
  registerListApiKeys,
  registerRevokeApiKey,
  registerPublish,
  registerListFailedEvents,
  registerReplayFailedEvents,
  registerCreateMarket,
  registerListMarkets,
  registerGetMarket,
  registerUpdateMarket,
  registerDeleteMarket,
  registerCreateStore,
  registerUpdateStore,
  registerDeleteStore,
  registerListStores,
  registerGetStore,
  registerTransitionSubscription,
  registerListSubscriptions,
  registerGetSubscription,
  registerCreateOrder,
  registerCreateCafe24Order,
  registerListOrders,
  registerGetOrder,
  registerCancelOrder,
  registerCreatePayment,
  registerCreateRefund,
  registerListAccounts,
  registerGetAccount,
  registerContactAccounts,
  registerGetInvoice,
  registerGetCreditNote,
  registerShopifyOrdersCreate,
  registerShopifyRefundsCreate,
  // After the two above: `/webhooks/shopify/{topic}` matches their paths too, and the first route wins.
  registerShopifyTopic,
  registerCreateRelayTarget,
  registerListRelayTargets,
  registerGetRelayTarget,
  registerUpdateRelayTarget,
  registerDeleteRelayTarget,
  registerListRelayJobs,
  registerResendRelayJobs,
  registerGetRelayJob,
  registerListConversions,
  registerSendGridEvents,
  registerNormalisedEmailEvents,
  registerCommerceEvents,
  registerCafe24Webhook,
  registerCreateInfluencer,
  registerListInfluencers,
  registerGetInfluencer,
  registerUpdateInfluencer,
  registerCreateAcquisitionRule,
  registerListAcquisitionRules,
  registerGetAcquisitionRule,
  registerUpdateAcquisitionRule,
  registerDeleteAcquisitionRule,
  registerClassifyAccounts,
  registerListBatchRuns,
  registerPreviewCohort,
  registerLtvByAcquisitionMonth,
  registerCouponRoi,
  registerCampaignRoi,
  registerRetention,
  registerAcquisitionComparison,
  registerCustomerScatter,
  registerRecomputeRfm,
  registerRfmHeatmap,
  registerCreateCohort,
  registerListCohorts,
  registerGetCohort,
  registerUpdateCohort,
  registerDeleteCohort,
  registerCohortMembers,
  registerCreateSnapshot,
  registerListSnapshots,
  registerSnapshotDiff,
  registerSnapshotMembers,
  registerCellCohort,
  registerCreateCampaign,
  registerListCampaigns,
  registerGetCampaign,
  registerUpdateCampaign,
  registerLaunchCampaign,
  registerPauseCampaign,
  registerResumeCampaign,
  registerCompleteCampaign,
  registerCancelCampaign,
  registerCampaignFunnel,
  registerExperimentResults,
  registerPutMessagingSettings,
  registerGetMessagingSettings,
  registerPutGa4Settings,
  registerGetGa4Settings,
  registerDeleteGa4Settings,
  registerCreateTemplate,
  registerListTemplates,
  registerGetTemplate,
  registerUpdateTemplate,
  registerCreateOptOut,
  registerReconfirmConsents,
  registerSolapiReceipts,
  registerOptOutWebhook,
];

const maxBodyBytes = 1024 * 1024;

const documentConfig = {
  openapi: "3.1.0",
  info: {
    title: "leadrail API",
    version: "1",
    description:
      "Catalog (brands, themes, partners, products, landings), redirect rules, captures and contacts. Authenticate with `Authorization: Bearer <API key>`. Errors are RFC 9457 problem+json; public ids are hash ids.",
  },
};

/** Builds the API: middleware, every route, the OpenAPI document and its reference page. */
export function buildApiApp(): ApiApp {
  const app: ApiApp = new OpenAPIHono<HonoEnv>({ defaultHook: validationHook });
  app.onError(onError);
  app.notFound(onNotFound);
  app.use("*", services);
  app.use("/healthz", database);
  // No API body is anywhere near 1 MB; refuse bigger ones before touching the database.
  app.use("/api/v1/*", bodyLimit({ maxSize: maxBodyBytes }), database, auth);
  // Webhooks authenticate by their signature (checked in the route, over the raw body), not an API key.
  // Store webhooks write the ledger; email platform webhooks only enqueue, so they get no database.
  // The commerce webhooks only enqueue too, but look up the store their events belong to.
  app.use("/webhooks/*", bodyLimit({ maxSize: maxBodyBytes }));
  app.use("/webhooks/shopify/*", database);
  app.use("/webhooks/commerce", database);
  app.use("/webhooks/cafe24", database);

  for (const register of routes) register(app);
  // The operators' pages: HTML with a session cookie, not the API's JSON and bearer keys.
  app.use("/dashboard/*", bodyLimit({ maxSize: maxBodyBytes }));
  app.route("/dashboard", dashboardApp());

  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    description: "An API key: `lr_` and 32 characters.",
  });
  let document: unknown;
  app.get("/openapi.json", (c) => {
    // Generated once per isolate: the schemas do not change at run time.
    document ??= withComponentExamples(app.getOpenAPI31Document(documentConfig));
    return c.json(document);
  });
  app.get(
    "/docs",
    Scalar({
      url: "/openapi.json",
      pageTitle: "leadrail API",
      // The bundle comes from this Worker's static assets, not a CDN: the page works offline and under a
      // strict network policy, and the reference is the version the lockfile pins.
      cdn: apiReferenceBundlePath,
      // Nothing else from another origin either: no web fonts (the system's are used), no developer toolbar
      // (it offers to upload the document to Scalar's registry), no agent chat (a Scalar service).
      withDefaultFonts: false,
      showDeveloperTools: "never",
      agent: { disabled: true },
      telemetry: false,
    }),
  );
  // Only this prefix reaches the assets binding (wrangler.toml runs the Worker first for every path).
  app.get(`${docsAssetsPrefix}*`, (c) => c.env.ASSETS.fetch(c.req.raw));
  return app;
}

let cached: ApiApp | undefined;

/** The API app, built once per isolate (route registration and schema compilation are not free). */
export function apiApp(): ApiApp {
  cached ??= buildApiApp();
  return cached;
}
