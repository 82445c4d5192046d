import { env } from "cloudflare:workers";
import { createHash } from "node:crypto";
import { captureMarketing, captures } from "../../db/schema/capture.ts";
import { brands } from "../../db/schema/catalog.ts";
import { abandonedCarts } from "../../db/schema/catalog-events.ts";
import { cohorts } from "../../db/schema/cohorts.ts";
import { contacts, emails } from "../../db/schema/identity.ts";
import {
  experiments,
  messageCampaignArms,
  messageCampaignMembers,
  messageCampaigns,
  messageClicks,
  messageSends,
} from "../../db/schema/messaging.ts";
import { brandClientAccounts, campaigns, orders, stores } from "../../db/schema/sales.ts";
import { uuidv7 } from "../../domain/core/uuid-v7.ts";
import { encodeLinkToken } from "../../domain/messaging/links.ts";
import { rand, withDb } from "./api.ts";
import { createSalesTenant, type SalesTenant } from "./sales.ts";

/*
 * Message campaigns built row by row, as launch, the sends consumer and the events consumer would have left
 * them: the campaigns API and the sends consumer are not on this branch, so the funnel's tests insert the
 * members, sends, clicks, orders, carts and landing captures they count directly.
 */

export type SendStatus = (typeof messageSends.$inferInsert)["status"];

export interface ArmSpec {
  name: string;
  role: "control" | "variant" | "holdout";
  weight: number;
  from: number;
  to: number;
}

export interface CustomerSpec {
  /** The arm's position. */
  arm: number;
  send?: { status: NonNullable<SendStatus>; sentAt?: Date; finalAt?: Date };
  clicks?: { at: Date; bot: boolean }[];
  /**
   * Landing captures carrying the send's token, received at these instants (of the campaign's brand, outcome
   * `duplicate`), or with their own outcome and brand (`other`: a brand of its own, made for it).
   */
  visits?: (Date | { at: Date; outcome?: "new" | "duplicate" | "bot"; brand?: "campaign" | "other" })[];
  orders?: { placedAt: Date; cancelledAt?: Date }[];
  carts?: Date[];
}

export interface CampaignSpec {
  launchedAt: Date;
  goalWindowDays?: number;
  status?: "running" | "paused" | "completed";
  completedAt?: Date;
  arms: ArmSpec[];
  customers: CustomerSpec[];
  experiment?: {
    alpha: number;
    power: number;
    baselineRate: number;
    targetRate: number;
    analysis: "fixed" | "sequential";
    mixingVariance?: number;
  };
  /** The brand to build in (a new one by default). */
  tenant?: SalesTenant;
}

export interface SeededCampaign {
  tenant: SalesTenant;
  campaignId: number;
  experimentId: number | null;
  accounts: number[];
  /** Per customer, its send id (null without one). */
  sends: (number | null)[];
  /** Per customer, its tracked-link token (null without a send). */
  tokens: (string | null)[];
}

const hex = (algorithm: "sha256" | "md5", value: string) => createHash(algorithm).update(value).digest("hex");

/** A campaign with its arms, members and everything that happened to them, inserted directly. */
export async function seedCampaign(spec: CampaignSpec): Promise<SeededCampaign> {
  const tenant = spec.tenant ?? (await createSalesTenant());
  const alphabet = env.SQIDS_ALPHABET;
  return withDb(async (db) => {
    const brandId = tenant.brand.internal;
    const [sales] = await db
      .insert(campaigns)
      .values({ brandId, code: `msg-${rand()}`, name: "Message campaign" })
      .returning({ id: campaigns.id });
    const [cohort] = await db
      .insert(cohorts)
      .values({ brandId, name: `Cohort ${rand()}`, definition: {}, resolvedDefinition: {} })
      .returning({ id: cohorts.id });
    const [store] = await db
      .insert(stores)
      .values({
        brandId,
        marketId: tenant.market.internal,
        platform: "shopify",
        externalRef: `shop-${rand()}.myshopify.com`,
        name: "Shop",
      })
      .returning({ id: stores.id });
    if (!sales || !cohort || !store) throw new Error("no campaign, cohort or store row");
    const [campaign] = await db
      .insert(messageCampaigns)
      .values({
        brandId,
        campaignId: sales.id,
        name: `Campaign ${rand()}`,
        status: spec.status ?? "running",
        target: "cohort",
        cohortId: cohort.id,
        goalWindowDays: spec.goalWindowDays ?? 7,
        launchedAt: spec.launchedAt,
        completedAt: spec.completedAt ?? null,
        memberCount: spec.customers.length,
      })
      .returning({ id: messageCampaigns.id });
    if (!campaign) throw new Error("no message campaign row");
    await db.insert(messageCampaignArms).values(
      spec.arms.map((arm, position) => ({
        messageCampaignId: campaign.id,
        position,
        name: arm.name,
        role: arm.role,
        weight: arm.weight,
        bucketFrom: arm.from,
        bucketTo: arm.to,
        channel: arm.role === "holdout" ? null : ("sms" as const),
        class: arm.role === "holdout" ? null : ("advertising" as const),
        text: arm.role === "holdout" ? null : "(광고) {link}",
        linkUrl: arm.role === "holdout" ? null : "https://shop.test/spring",
      })),
    );
    let experimentId: number | null = null;
    if (spec.experiment) {
      const [experiment] = await db
        .insert(experiments)
        .values({
          brandId,
          messageCampaignId: campaign.id,
          key: `exp-${rand()}`,
          ...spec.experiment,
        })
        .returning({ id: experiments.id });
      experimentId = experiment?.id ?? null;
    }

    const accounts: number[] = [];
    const sends: (number | null)[] = [];
    const tokens: (string | null)[] = [];
    for (const [index, customer] of spec.customers.entries()) {
      const address = `member.${index}.${rand()}@example.com`;
      const [email] = await db
        .insert(emails)
        .values({ address, domain: "example.com", sha256: hex("sha256", address), md5: hex("md5", address) })
        .returning({ id: emails.id });
      if (!email) throw new Error("no email row");
      const [contact] = await db
        .insert(contacts)
        .values({ emailId: email.id })
        .returning({ id: contacts.id });
      if (!contact) throw new Error("no contact row");
      const [account] = await db
        .insert(brandClientAccounts)
        .values({
          brandId,
          marketId: tenant.market.internal,
          emailId: email.id,
          contactId: contact.id,
          currency: tenant.market.currency,
        })
        .returning({ id: brandClientAccounts.id });
      if (!account) throw new Error("no account row");
      accounts.push(account.id);
      await db.insert(messageCampaignMembers).values({
        messageCampaignId: campaign.id,
        accountId: account.id,
        contactId: contact.id,
        bucket: spec.arms[customer.arm]?.from ?? 0,
        arm: customer.arm,
        assignedAt: spec.launchedAt,
      });
      let sendId: number | null = null;
      let token: string | null = null;
      if (customer.send) {
        const [send] = await db
          .insert(messageSends)
          .values({
            messageCampaignId: campaign.id,
            arm: customer.arm,
            brandId,
            accountId: account.id,
            contactId: contact.id,
            channel: "sms",
            class: "advertising",
            status: customer.send.status,
            queuedAt: spec.launchedAt,
            sentAt: customer.send.sentAt ?? null,
            finalAt: customer.send.finalAt ?? null,
          })
          .returning({ id: messageSends.id });
        if (!send) throw new Error("no send row");
        sendId = send.id;
        token = encodeLinkToken(alphabet, { sendId, messageCampaignId: campaign.id, arm: customer.arm });
      }
      sends.push(sendId);
      tokens.push(token);
      if (customer.clicks?.length && sendId !== null) {
        const id = sendId;
        await db.insert(messageClicks).values(
          customer.clicks.map((click) => ({
            id: uuidv7(click.at.getTime()),
            sendId: id,
            messageCampaignId: campaign.id,
            arm: customer.arm,
            at: click.at,
            bot: click.bot,
            userAgent: click.bot ? "facebookexternalhit/1.1; kakaotalk-scrap/1.0" : "Mozilla/5.0",
          })),
        );
      }
      for (const visit of customer.visits ?? []) {
        if (token === null) throw new Error("a visit needs a send");
        const {
          at: receivedAt,
          outcome = "duplicate",
          brand = "campaign",
        } = visit instanceof Date ? { at: visit } : visit;
        let captureBrand = brandId;
        if (brand === "other") {
          const suffix = rand();
          const [other] = await db
            .insert(brands)
            .values({ name: `Other ${suffix}`, slug: `other-${suffix}`, domain: `${suffix}.example` })
            .returning({ id: brands.id });
          if (!other) throw new Error("no brand");
          captureBrand = other.id;
        }
        const captureId = uuidv7(receivedAt.getTime());
        await db.insert(captures).values({
          id: captureId,
          receivedAt,
          landingRef: "landing",
          brandId: captureBrand,
          contactId: contact.id,
          outcome,
          isBot: outcome === "bot",
        });
        await db
          .insert(captureMarketing)
          .values({ captureId, utmSource: "leadrail", extra: { lr_m: token } });
      }
      for (const [n, order] of (customer.orders ?? []).entries()) {
        await db.insert(orders).values({
          brandId,
          marketId: tenant.market.internal,
          accountId: account.id,
          platform: "shopify",
          externalId: `o-${rand()}-${n}`,
          currency: tenant.market.currency,
          subtotal: 10_000,
          discountTotal: 0,
          taxTotal: 0,
          shippingTotal: 0,
          total: 10_000,
          placedAt: order.placedAt,
          cancelledAt: order.cancelledAt ?? null,
          cancelReason: order.cancelledAt ? "customer" : null,
        });
      }
      for (const [n, abandonedAt] of (customer.carts ?? []).entries()) {
        await db.insert(abandonedCarts).values({
          brandId,
          storeId: store.id,
          platformCartId: `cart-${rand()}-${n}`,
          contactId: contact.id,
          currency: tenant.market.currency,
          total: 5_000,
          abandonedAt,
        });
      }
    }
    return { tenant, campaignId: campaign.id, experimentId, accounts, sends, tokens };
  });
}

/** `base` moved by hours. */
export const hoursAfter = (base: Date, hours: number): Date => new Date(base.getTime() + hours * 3_600_000);
