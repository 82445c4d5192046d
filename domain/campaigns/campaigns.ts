import { type SQL, sql } from "drizzle-orm";
import type { Executor, Transaction } from "../../db/client.ts";
import { jsonRow, pgArray, recordset } from "../../db/sql.ts";
import { sqlState, uniqueViolation, violatedConstraint } from "../../db/sql-state.ts";
import { resolveRefs } from "../catalog/catalog.ts";
import { Conflict, type FieldError, NotFound, ValidationFailed } from "../core/errors.ts";
import { assertBrand } from "../core/scope.ts";
import { withTransaction } from "../core/transaction.ts";
import { type Page, type PageInput, toPage, type VerbContext } from "../core/verb.ts";
import { type ArmRole, assertAssignmentUnchanged, type ExperimentStatus } from "../experiments/assignment.ts";
import type { MessageChannel, MessageClass } from "../messaging/channels.ts";
import type { TemplateStatus } from "../messaging/compliance.ts";
import {
  type ArmInput,
  type ArmMessageInput,
  designErrors,
  type ExperimentAnalysis,
  type ExperimentInput,
  rangesOf,
  type TemplateRow,
} from "./design.ts";

/**
 * Message campaigns (SPEC §12–13): a brand's cohort or snapshot, its arms with their messages and bucket
 * ranges, the experiment when there is more than one arm, and the campaign's life from draft to completed.
 * A draft or scheduled campaign may change anything; once launched only its name may (the members hold their
 * arms). Launching is launch.ts; the per-minute dispatcher is dispatch.ts.
 */

export const campaignStatuses = [
  "draft",
  "scheduled",
  "running",
  "paused",
  "completed",
  "cancelled",
] as const;
export type CampaignStatus = (typeof campaignStatuses)[number];

export interface ArmMessage {
  channel: MessageChannel;
  class: MessageClass;
  text: string | null;
  subject: string | null;
  templateId: number | null;
  variables: Record<string, string>;
  linkUrl: string | null;
}

export interface CampaignArm {
  position: number;
  name: string;
  role: ArmRole;
  weight: number;
  bucketFrom: number;
  bucketTo: number;
  message: ArmMessage | null;
}

export interface Experiment {
  id: number;
  key: string;
  alpha: number;
  power: number;
  baselineRate: number;
  targetRate: number;
  analysis: ExperimentAnalysis;
  mixingVariance: number | null;
}

export type CampaignTarget = { kind: "cohort"; id: number } | { kind: "snapshot"; id: number };

export interface MessageCampaign {
  id: number;
  brandId: number;
  /** The sales campaign (`campaigns`) and its code, the tracked links' `utm_campaign`. */
  campaignId: number;
  code: string;
  name: string;
  status: CampaignStatus;
  target: CampaignTarget;
  scheduledAt: Date | null;
  goalWindowDays: number;
  launchedAt: Date | null;
  completedAt: Date | null;
  memberCount: number | null;
  arms: CampaignArm[];
  experiment: Experiment | null;
  createdAt: Date;
  updatedAt: Date;
}

type Json = Record<string, unknown>;

const dateOrNull = (value: unknown): Date | null =>
  value === null || value === undefined ? null : new Date(String(value));
const numberOrNull = (value: unknown): number | null =>
  value === null || value === undefined ? null : Number(value);
const textOrNull = (value: unknown): string | null =>
  value === null || value === undefined ? null : String(value);

function toArm(row: Json): CampaignArm {
  const channel = row.channel as MessageChannel | null;
  return {
    position: Number(row.position),
    name: String(row.name),
    role: row.role as ArmRole,
    weight: Number(row.weight),
    bucketFrom: Number(row.bucket_from),
    bucketTo: Number(row.bucket_to),
    message:
      channel === null
        ? null
        : {
            channel,
            class: row.class as MessageClass,
            text: textOrNull(row.text),
            subject: textOrNull(row.subject),
            templateId: numberOrNull(row.template_id),
            variables: (row.variables ?? {}) as Record<string, string>,
            linkUrl: textOrNull(row.link_url),
          },
  };
}

function toExperiment(row: Json | null | undefined): Experiment | null {
  if (row === null || row === undefined) return null;
  return {
    id: Number(row.id),
    key: String(row.key),
    alpha: Number(row.alpha),
    power: Number(row.power),
    baselineRate: Number(row.baseline_rate),
    targetRate: Number(row.target_rate),
    analysis: row.analysis as ExperimentAnalysis,
    mixingVariance: numberOrNull(row.mixing_variance),
  };
}

export function toCampaign(row: Json): MessageCampaign {
  const c = row.campaign as Json;
  const target: CampaignTarget =
    c.target === "cohort"
      ? { kind: "cohort", id: Number(c.cohort_id) }
      : { kind: "snapshot", id: Number(c.snapshot_id) };
  return {
    id: Number(c.id),
    brandId: Number(c.brand_id),
    campaignId: Number(c.campaign_id),
    code: String(row.code),
    name: String(c.name),
    status: c.status as CampaignStatus,
    target,
    scheduledAt: dateOrNull(c.scheduled_at),
    goalWindowDays: Number(c.goal_window_days),
    launchedAt: dateOrNull(c.launched_at),
    completedAt: dateOrNull(c.completed_at),
    memberCount: numberOrNull(c.member_count),
    arms: ((row.arms ?? []) as Json[]).map(toArm),
    experiment: toExperiment(row.experiment as Json | null),
    createdAt: new Date(String(c.created_at)),
    updatedAt: new Date(String(c.updated_at)),
  };
}

/** The campaign rows with their code, arms and experiment, one JSON value each. */
export const campaignJson = (where: SQL, tail: SQL = sql``): SQL => sql`
  SELECT jsonb_build_object(
    'campaign', to_jsonb(mc),
    'code', (SELECT c.code FROM campaigns c WHERE c.id = mc.campaign_id),
    'arms', COALESCE((SELECT jsonb_agg(to_jsonb(a) ORDER BY a.position) FROM message_campaign_arms a
                       WHERE a.message_campaign_id = mc.id), '[]'::jsonb),
    'experiment', (SELECT to_jsonb(e) FROM experiments e WHERE e.message_campaign_id = mc.id)
  ) AS campaign
  FROM message_campaigns mc WHERE ${where} ${tail}`;

export async function readCampaign(
  db: Pick<Executor, "execute">,
  id: number,
  lock = false,
): Promise<MessageCampaign | null> {
  const row = await jsonRow(db, campaignJson(sql`mc.id = ${id}`, lock ? sql`FOR UPDATE OF mc` : sql``));
  return row ? toCampaign(row) : null;
}

/** A campaign the caller may see: 404 when there is none, 403 when it is another brand's. */
export async function visibleCampaign(ctx: VerbContext, id: number, lock = false): Promise<MessageCampaign> {
  const campaign = await readCampaign(ctx.db, id, lock);
  if (!campaign) throw new NotFound("message campaign");
  assertBrand(ctx.principal, campaign.brandId);
  return campaign;
}

// Input

/** A target as the API gives it: the hash id of a cohort or of a snapshot. */
export type TargetInput = { cohort: string } | { snapshot: string };

export interface ArmMessageBody extends Omit<ArmMessageInput, "templateId"> {
  /** Message template hash id. */
  template?: string | undefined;
}

export interface ArmBody extends Omit<ArmInput, "message"> {
  message?: ArmMessageBody | null | undefined;
}

export interface CreateCampaignInput {
  /** Brand hash id. */
  brand: string;
  name: string;
  code: string;
  target: TargetInput;
  goalWindowDays: number;
  arms: ArmBody[];
  experiment?: ExperimentInput | null | undefined;
  /** MESSAGE_LINK_BASE_URL. */
  linkBaseUrl: string;
}

interface ResolvedDesign {
  target: CampaignTarget;
  arms: ArmInput[];
  experiment: ExperimentInput | null;
}

/** The target's cohort or snapshot of `brandId`: 422 by field when malformed, missing or another brand's in scope, 403 outside it. */
async function resolveTarget(
  ctx: VerbContext,
  brandId: number,
  target: TargetInput,
): Promise<CampaignTarget> {
  const [kind, value] =
    "cohort" in target ? (["cohort", target.cohort] as const) : (["snapshot", target.snapshot] as const);
  const field = `target.${kind}`;
  const id = ctx.ids.decode(kind === "cohort" ? "cohort" : "cohortSnapshot", value);
  const fail = (category: "malformed" | "not_found" | "not_allowed", message: string) =>
    new ValidationFailed([{ field, category, message }]);
  if (id === null) throw fail("malformed", `Not a ${kind === "cohort" ? "cohort" : "cohort snapshot"} id.`);
  const result = await ctx.db.execute<{ brand_id: string | number }>(
    kind === "cohort"
      ? sql`SELECT brand_id FROM cohorts WHERE id = ${id} AND deleted_at IS NULL`
      : sql`SELECT c.brand_id FROM cohort_snapshots s JOIN cohorts c ON c.id = s.cohort_id WHERE s.id = ${id}`,
  );
  const row = result.rows[0];
  if (!row) throw fail("not_found", `No such ${kind === "cohort" ? "cohort" : "cohort snapshot"}.`);
  const owner = Number(row.brand_id);
  assertBrand(ctx.principal, owner);
  if (owner !== brandId) throw fail("not_allowed", `The ${kind} belongs to another brand than the campaign.`);
  return { kind, id };
}

/** The brand's templates among `ids` and its sender settings, in one query. */
async function brandMessaging(
  db: Pick<Executor, "execute">,
  brandId: number,
  templateIds: readonly number[],
): Promise<{
  templates: Map<number, TemplateRow>;
  sender: { name: string; contact: string; optOutNumber: string } | null;
}> {
  const row = await jsonRow(
    db,
    sql`SELECT jsonb_build_object(
          'settings', (SELECT to_jsonb(s) FROM brand_messaging_settings s WHERE s.brand_id = ${brandId}),
          'templates', COALESCE((SELECT jsonb_agg(to_jsonb(t)) FROM message_templates t
                                  WHERE t.brand_id = ${brandId} AND t.id = ANY(${pgArray([...templateIds])}::bigint[])), '[]'::jsonb))`,
  );
  const settings = (row?.settings ?? null) as Json | null;
  const templates = new Map<number, TemplateRow>();
  for (const t of (row?.templates ?? []) as Json[])
    templates.set(Number(t.id), {
      internalId: Number(t.id),
      id: String(t.code),
      channel: t.channel as MessageChannel,
      class: t.class as MessageClass,
      status: t.status as TemplateStatus,
      text: String(t.text),
      variables: (t.variables ?? []) as string[],
    });
  return {
    templates,
    sender:
      settings === null
        ? null
        : {
            name: String(settings.sender_name),
            contact: String(settings.sender_contact),
            optOutNumber: String(settings.opt_out_number),
          },
  };
}

/** Decodes template ids, resolves the target and checks the whole design; throws every bad field at once. */
async function resolveDesign(
  ctx: VerbContext,
  brandId: number,
  body: { target: TargetInput; arms: ArmBody[]; experiment: ExperimentInput | null; linkBaseUrl: string },
): Promise<ResolvedDesign> {
  const target = await resolveTarget(ctx, brandId, body.target);
  const arms: ArmInput[] = body.arms.map((arm) => {
    const message = arm.message ?? null;
    if (message === null) return { name: arm.name, role: arm.role, weight: arm.weight, message: null };
    const { template, ...rest } = message;
    return {
      name: arm.name,
      role: arm.role,
      weight: arm.weight,
      message: {
        ...rest,
        ...(template === undefined ? {} : { templateId: ctx.ids.decode("messageTemplate", template) }),
      },
    };
  });
  const templateIds = arms.flatMap((arm) => (arm.message?.templateId ? [arm.message.templateId] : []));
  const messaging = await brandMessaging(ctx.db, brandId, templateIds);
  const errors = designErrors(arms, body.experiment, { ...messaging, linkBaseUrl: body.linkBaseUrl });
  if (errors.length > 0) throw new ValidationFailed(errors);
  return { target, arms, experiment: body.experiment };
}

/** The sales campaign of the brand with `code`, made if new; 409 when another message campaign has it. */
async function salesCampaign(
  tx: Transaction,
  brandId: number,
  code: string,
  name: string,
  except: number | null,
): Promise<number> {
  const row = await jsonRow(
    tx,
    sql`WITH made AS (
          INSERT INTO campaigns (brand_id, code, name) VALUES (${brandId}, ${code}, ${name})
          ON CONFLICT (brand_id, code) DO NOTHING RETURNING id
        ), found AS (
          SELECT id FROM made UNION ALL SELECT id FROM campaigns WHERE brand_id = ${brandId} AND code = ${code}
        )
        SELECT jsonb_build_object('id', (SELECT id FROM found LIMIT 1),
          'taken', EXISTS (SELECT 1 FROM message_campaigns mc WHERE mc.campaign_id IN (SELECT id FROM found)
                            AND mc.id IS DISTINCT FROM ${except}::bigint))`,
  );
  if (!row || row.id === null) throw new Error("sales campaign upsert returned no row");
  if (row.taken === true) throw codeTaken(code);
  return Number(row.id);
}

const codeTaken = (code: string) =>
  new Conflict(`The sales campaign ${code} already belongs to another message campaign.`, [
    {
      field: "code",
      category: "conflict",
      message: "Another message campaign has this sales campaign code.",
    },
  ]);

const keyTaken = (key: string) =>
  new Conflict(`The brand already has an experiment keyed ${key}.`, [
    {
      field: "experiment.key",
      category: "conflict",
      message: "Another experiment of the brand has this key.",
    },
  ]);

/** The default experiment key: the campaign's public id, so it is unique and says where it came from. */
export const defaultExperimentKey = (ctx: VerbContext, campaignId: number): string =>
  `campaign-${ctx.ids.encode("messageCampaign", campaignId)}`;

/** Replaces the campaign's arms and experiment with `design`'s (one statement each). */
async function writeDesign(
  tx: Transaction,
  ctx: VerbContext,
  campaign: { id: number; brandId: number },
  design: ResolvedDesign,
  currentKey: string | null,
): Promise<void> {
  const ranges = rangesOf(design.arms);
  const rows = design.arms.map((arm, position) => ({
    position,
    name: arm.name,
    role: arm.role,
    weight: arm.weight,
    bucket_from: ranges[position]?.from ?? 0,
    bucket_to: ranges[position]?.to ?? 0,
    channel: arm.message?.channel ?? null,
    class: arm.message?.class ?? null,
    text: arm.message?.text ?? null,
    subject: arm.message?.subject ?? null,
    template_id: arm.message?.templateId ?? null,
    variables: arm.message?.variables ?? {},
    link_url: arm.message?.linkUrl ?? null,
  }));
  await tx.execute(sql`DELETE FROM message_campaign_arms WHERE message_campaign_id = ${campaign.id}`);
  await tx.execute(sql`
    INSERT INTO message_campaign_arms (message_campaign_id, position, name, role, weight, bucket_from, bucket_to,
      channel, class, text, subject, template_id, variables, link_url)
    SELECT ${campaign.id}, r.position, r.name, r.role::experiment_arm_role, r.weight, r.bucket_from, r.bucket_to,
      r.channel::message_channel, r.class::message_class, r.text, r.subject, r.template_id, r.variables, r.link_url
    FROM ${recordset(rows, "position smallint, name text, role text, weight integer, bucket_from integer, bucket_to integer, channel text, class text, text text, subject text, template_id bigint, variables jsonb, link_url text")}
    ORDER BY r.position`);
  const experiment = design.experiment;
  if (experiment === null) {
    await tx.execute(sql`DELETE FROM experiments WHERE message_campaign_id = ${campaign.id}`);
    return;
  }
  const key = experiment.key ?? currentKey ?? defaultExperimentKey(ctx, campaign.id);
  const clash = await tx.execute(
    sql`SELECT 1 FROM experiments WHERE brand_id = ${campaign.brandId} AND key = ${key}
         AND message_campaign_id <> ${campaign.id}`,
  );
  if (clash.rows.length > 0) throw keyTaken(key);
  await tx.execute(sql`
    INSERT INTO experiments (brand_id, message_campaign_id, key, alpha, power, baseline_rate, target_rate, analysis,
      mixing_variance)
    VALUES (${campaign.brandId}, ${campaign.id}, ${key}, ${experiment.alpha}, ${experiment.power},
      ${experiment.baselineRate}, ${experiment.targetRate}, ${experiment.analysis}, ${experiment.mixingVariance ?? null})
    ON CONFLICT (message_campaign_id) DO UPDATE SET key = excluded.key, alpha = excluded.alpha, power = excluded.power,
      baseline_rate = excluded.baseline_rate, target_rate = excluded.target_rate, analysis = excluded.analysis,
      mixing_variance = excluded.mixing_variance, updated_at = now()`);
}

/** A unique violation another writer won meanwhile, as the 409 the pre-checks would have given. */
function raced(error: unknown, code: string, key: string | undefined): never {
  if (sqlState(error) === uniqueViolation) {
    const constraint = violatedConstraint(error);
    if (constraint === "message_campaigns_campaign_key") throw codeTaken(code);
    if (constraint === "experiments_brand_key_key") throw keyTaken(key ?? "");
  }
  throw error;
}

/**
 * A draft campaign of one brand: the brand and the target within the key's scope (403), the target of that
 * brand, the arms, experiment and every message checked (422 naming each field), the sales campaign of `code`
 * made or reused (409 when another message campaign has it), the experiment key unique in the brand (409).
 */
export async function createCampaign({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: CreateCampaignInput;
}): Promise<MessageCampaign> {
  const refs = await resolveRefs(ctx, { brand: { kind: "brand", value: input.brand } });
  const brandId = refs.brand.id;
  assertBrand(ctx.principal, brandId);
  const design = await resolveDesign(ctx, brandId, {
    target: input.target,
    arms: input.arms,
    experiment: input.experiment ?? null,
    linkBaseUrl: input.linkBaseUrl,
  });
  try {
    return await withTransaction(ctx.db, async (tx) => {
      const campaignId = await salesCampaign(tx, brandId, input.code, input.name, null);
      const made = await jsonRow(
        tx,
        sql`INSERT INTO message_campaigns (brand_id, campaign_id, name, target, cohort_id, snapshot_id, goal_window_days)
            VALUES (${brandId}, ${campaignId}, ${input.name}, ${design.target.kind},
              ${design.target.kind === "cohort" ? design.target.id : null}::bigint,
              ${design.target.kind === "snapshot" ? design.target.id : null}::bigint, ${input.goalWindowDays})
            RETURNING jsonb_build_object('id', id)`,
      );
      const id = Number(made?.id);
      await writeDesign(tx, ctx, { id, brandId }, design, null);
      const campaign = await readCampaign(tx, id);
      if (!campaign) throw new Error("created campaign not found");
      return campaign;
    });
  } catch (error) {
    raced(error, input.code, input.experiment?.key);
  }
}

/** Campaigns by id within the caller's brands (or one of them). */
export async function listCampaigns({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: PageInput & { brandId?: number | undefined; status?: CampaignStatus | undefined };
}): Promise<Page<MessageCampaign>> {
  if (input.brandId !== undefined) assertBrand(ctx.principal, input.brandId);
  const scope = ctx.principal.brandIds;
  const where: SQL[] = [sql`TRUE`];
  if (input.after !== null) where.push(sql`mc.id > ${input.after}`);
  if (input.brandId !== undefined) where.push(sql`mc.brand_id = ${input.brandId}`);
  if (input.status !== undefined) where.push(sql`mc.status = ${input.status}`);
  if (scope !== null) where.push(sql`mc.brand_id = ANY(${pgArray([...scope])}::bigint[])`);
  const result = await ctx.db.execute<{ campaign: Json }>(
    campaignJson(sql.join(where, sql` AND `), sql`ORDER BY mc.id LIMIT ${input.limit + 1}`),
  );
  return toPage(
    result.rows.map((row) => toCampaign(row.campaign)),
    input.limit,
  );
}

export async function getCampaign({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: { id: number };
}): Promise<MessageCampaign> {
  return visibleCampaign(ctx, input.id);
}

export interface UpdateCampaignInput {
  id: number;
  name?: string | undefined;
  code?: string | undefined;
  target?: TargetInput | undefined;
  goalWindowDays?: number | undefined;
  arms?: ArmBody[] | undefined;
  /** `null` removes the experiment (a campaign back to one arm). */
  experiment?: ExperimentInput | null | undefined;
  linkBaseUrl: string;
}

const targetBody = (ctx: VerbContext, target: CampaignTarget): TargetInput =>
  target.kind === "cohort"
    ? { cohort: ctx.ids.encode("cohort", target.id) }
    : { snapshot: ctx.ids.encode("cohortSnapshot", target.id) };

/** The stored arms in the form the API takes them, to compare with a request's. */
function armBodies(ctx: VerbContext, arms: readonly CampaignArm[]): ArmBody[] {
  return arms.map((arm) => ({
    name: arm.name,
    role: arm.role,
    weight: arm.weight,
    message:
      arm.message === null
        ? null
        : {
            channel: arm.message.channel,
            class: arm.message.class,
            ...(arm.message.text === null ? {} : { text: arm.message.text }),
            ...(arm.message.subject === null ? {} : { subject: arm.message.subject }),
            ...(arm.message.templateId === null
              ? {}
              : { template: ctx.ids.encode("messageTemplate", arm.message.templateId) }),
            ...(Object.keys(arm.message.variables).length === 0 ? {} : { variables: arm.message.variables }),
            ...(arm.message.linkUrl === null ? {} : { linkUrl: arm.message.linkUrl }),
          },
  }));
}

const experimentBody = (experiment: Experiment | null): ExperimentInput | null =>
  experiment === null
    ? null
    : {
        key: experiment.key,
        alpha: experiment.alpha,
        power: experiment.power,
        baselineRate: experiment.baselineRate,
        targetRate: experiment.targetRate,
        analysis: experiment.analysis,
        mixingVariance: experiment.mixingVariance,
      };

/** A stable comparison of plain values, whatever the order of their keys; undefined and null are alike. */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_key, item: unknown) =>
    item !== null && typeof item === "object" && !Array.isArray(item)
      ? Object.fromEntries(
          Object.entries(item as Json)
            .filter(([, v]) => v !== undefined && v !== null)
            .sort(([a], [b]) => a.localeCompare(b)),
        )
      : item,
  );

/** `arms.1.weight` (the assignment guard's names) as the request writes it: `arms[1].weight`. */
const requestField = (field: string): string =>
  field === "key" ? "experiment.key" : field.replace(/^arms\.(\d+)/, "arms[$1]");

/** Why a launched campaign may not take `input`: the assignment first (assertAssignmentUnchanged), then every other field but the name. */
function launchedChanges(ctx: VerbContext, current: MessageCampaign, input: UpdateCampaignInput): void {
  const status = current.status as ExperimentStatus;
  const currentArms = armBodies(ctx, current.arms);
  const currentExperiment = experimentBody(current.experiment);
  const nextArms = input.arms ?? currentArms;
  const nextExperiment = input.experiment === undefined ? currentExperiment : input.experiment;
  const ownKey = `campaign-${current.id}`;
  try {
    assertAssignmentUnchanged(
      { key: currentExperiment?.key ?? ownKey, arms: currentArms },
      {
        key: nextExperiment === null ? ownKey : (nextExperiment.key ?? currentExperiment?.key ?? ownKey),
        arms: nextArms,
      },
      status,
    );
  } catch (error) {
    if (error instanceof Conflict)
      throw new Conflict(
        error.message,
        error.errors.map((change) => ({ ...change, field: requestField(change.field) })),
      );
    throw error;
  }
  const changes: FieldError[] = [];
  const refuse = (field: string) =>
    changes.push({
      field,
      category: "conflict",
      message: `cannot change once the campaign is ${current.status}: only its name can`,
    });
  if (input.code !== undefined && input.code !== current.code) refuse("code");
  if (input.target !== undefined && canonical(input.target) !== canonical(targetBody(ctx, current.target)))
    refuse("target");
  if (input.goalWindowDays !== undefined && input.goalWindowDays !== current.goalWindowDays)
    refuse("goal_window_days");
  nextArms.forEach((arm, index) => {
    if (canonical(arm.message ?? null) !== canonical(currentArms[index]?.message ?? null))
      refuse(`arms[${index}].message`);
  });
  if (input.experiment !== undefined && nextExperiment !== null && currentExperiment !== null) {
    const { key: _next, ...nextDesign } = nextExperiment;
    const { key: _current, ...currentDesign } = currentExperiment;
    if (canonical(nextDesign) !== canonical(currentDesign)) refuse("experiment");
  }
  if (changes.length > 0)
    throw new Conflict(`Only the name of a ${current.status} campaign can change.`, changes);
}

/**
 * Changes a campaign. A draft or scheduled one may change anything (checked as on create); a running, paused
 * or completed one only its name: an assignment change is a 409 naming the field (the experiment's guard),
 * and so is any other; a cancelled one nothing.
 */
export async function updateCampaign({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: UpdateCampaignInput;
}): Promise<MessageCampaign> {
  try {
    return await withTransaction(ctx.db, async (tx) => {
      const inner = { ...ctx, db: tx };
      const current = await visibleCampaign(inner, input.id, true);
      if (current.status === "cancelled")
        throw new Conflict("A cancelled campaign cannot change.", [
          { field: "status", category: "conflict", message: "The campaign is cancelled." },
        ]);
      const editable = current.status === "draft" || current.status === "scheduled";
      if (!editable) launchedChanges(inner, current, input);
      const name = input.name ?? current.name;
      if (editable) {
        const design = await resolveDesign(inner, current.brandId, {
          target: input.target ?? targetBody(ctx, current.target),
          arms: input.arms ?? armBodies(ctx, current.arms),
          experiment: input.experiment === undefined ? experimentBody(current.experiment) : input.experiment,
          linkBaseUrl: input.linkBaseUrl,
        });
        const campaignId =
          input.code === undefined || input.code === current.code
            ? current.campaignId
            : await salesCampaign(tx, current.brandId, input.code, name, current.id);
        await tx.execute(sql`
          UPDATE message_campaigns SET name = ${name}, campaign_id = ${campaignId}, target = ${design.target.kind},
            cohort_id = ${design.target.kind === "cohort" ? design.target.id : null}::bigint,
            snapshot_id = ${design.target.kind === "snapshot" ? design.target.id : null}::bigint,
            goal_window_days = ${input.goalWindowDays ?? current.goalWindowDays}, updated_at = now()
          WHERE id = ${current.id}`);
        await writeDesign(tx, inner, current, design, current.experiment?.key ?? null);
      } else if (name !== current.name)
        await tx.execute(
          sql`UPDATE message_campaigns SET name = ${name}, updated_at = now() WHERE id = ${current.id}`,
        );
      const updated = await readCampaign(tx, current.id);
      if (!updated) throw new NotFound("message campaign");
      return updated;
    });
  } catch (error) {
    raced(error, input.code ?? "", input.experiment?.key);
  }
}

export const campaignActions = ["pause", "resume", "complete", "cancel"] as const;
export type CampaignAction = (typeof campaignActions)[number];

/** From which statuses each action goes, and to which. */
const transitions: Record<CampaignAction, { from: readonly CampaignStatus[]; to: CampaignStatus }> = {
  pause: { from: ["running"], to: "paused" },
  resume: { from: ["paused"], to: "running" },
  complete: { from: ["running", "paused"], to: "completed" },
  cancel: { from: ["draft", "scheduled"], to: "cancelled" },
};

/** Pauses, resumes, completes or cancels a campaign; a 409 when its status does not allow the action. */
export async function transitionCampaign({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: { id: number; action: CampaignAction; now?: Date };
}): Promise<MessageCampaign> {
  const now = input.now ?? new Date();
  return withTransaction(ctx.db, async (tx) => {
    const current = await visibleCampaign({ ...ctx, db: tx }, input.id, true);
    const { from, to } = transitions[input.action];
    if (!from.includes(current.status))
      throw new Conflict(
        `A ${current.status} campaign cannot ${input.action}; only a ${from.join(" or ")} one can.`,
        [{ field: "status", category: "conflict", message: `The campaign is ${current.status}.` }],
      );
    await tx.execute(sql`
      UPDATE message_campaigns SET status = ${to}, updated_at = now(),
        completed_at = ${to === "completed" ? now.toISOString() : null}::timestamptz
      WHERE id = ${current.id}`);
    const updated = await readCampaign(tx, current.id);
    if (!updated) throw new NotFound("message campaign");
    return updated;
  });
}
