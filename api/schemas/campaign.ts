import { type Hook, z } from "@hono/zod-openapi";
import {
  type ArmBody,
  type CampaignArm,
  campaignStatuses,
  type MessageCampaign,
  type TargetInput,
} from "../../domain/campaigns/campaigns.ts";
import { type ExperimentInput, experimentAnalyses } from "../../domain/campaigns/design.ts";
import { ValidationFailed } from "../../domain/core/errors.ts";
import type { HashIds } from "../../domain/core/hash-ids.ts";
import { messageChannels, messageClasses } from "../../domain/messaging/channels.ts";
import type { HonoEnv } from "../hono-env.ts";
import { fieldErrorsFromZod, nulFieldErrors, withNulErrors } from "../validation.ts";
import { hashId, httpUrl, inputTimestamp, iso, isoOrNull, name, pageOf, timestamp } from "./common.ts";

/** `arms[1].message.text`: the body's path as a client writes it, array items in brackets. */
export const bracketPath = (path: readonly PropertyKey[], root: string): string => {
  if (path.length === 0) return root;
  return path
    .map((key, index) =>
      typeof key === "number" ? `[${key}]` : index === 0 ? String(key) : `.${String(key)}`,
    )
    .join("");
};

/** The validation hook of the campaign bodies: a 422 names each field by its bracket path. */
export const campaignBodyHook: Hook<unknown, HonoEnv, string, undefined> = (result) => {
  if (result.success) {
    const errors = nulFieldErrors(result.data, result.target);
    if (errors.length > 0) throw new ValidationFailed(errors);
    return;
  }
  const input = "data" in result ? (result as { data: unknown }).data : undefined;
  throw new ValidationFailed(
    withNulErrors(fieldErrorsFromZod(result.error, input, result.target, bracketPath), input, result.target),
  );
};

const channel = z.enum(messageChannels).openapi({ description: "sms, lms, alimtalk or brand_message." });
const messageClass = z.enum(messageClasses).openapi({
  description: "`advertising` needs consent and the Article 50 marks; `informational` does not.",
});

const messageBody = z
  .strictObject({
    channel,
    class: messageClass,
    text: z.string().max(4000).optional().openapi({
      description:
        "The text; `{link}` becomes the send's tracked link (counted at its full length when checked), `{name}` the recipient's first name. Not with `template`.",
    }),
    subject: z.string().trim().min(1).max(120).optional().openapi({ description: "An LMS's subject line." }),
    template: hashId("A message template of the brand (AlimTalk, or a templated brand message).").optional(),
    variables: z
      .record(z.string().min(1).max(100), z.string().max(1000))
      .optional()
      .openapi({ description: "The template's `#{name}` variables." }),
    link_url: httpUrl.optional().openapi({
      description:
        "Where `{link}` leads; the tracked redirect adds utm_source, utm_medium, utm_campaign and utm_content.",
    }),
  })
  .openapi("CampaignMessageInput");

const armRole = z.enum(["control", "variant", "holdout"]);

const armBody = z
  .strictObject({
    name: z.string().trim().min(1).max(100),
    role: armRole,
    weight: z.number().int().min(1).max(10_000).openapi({ description: "Its share is weight / Σ weights." }),
    message: messageBody
      .nullable()
      .optional()
      .openapi({ description: "Every arm but the holdout sends one." }),
  })
  .openapi("CampaignArmInput");

const rate = z.number().gt(0).lt(1);

const experimentBody = z
  .strictObject({
    key: z.string().trim().min(1).max(200).optional().openapi({
      description:
        'The assignment key (`sha256("<key>:<account id>")`), unique in the brand; default `campaign-<campaign id>`.',
    }),
    alpha: rate.default(0.05),
    power: rate.default(0.8),
    baseline_rate: rate.openapi({ description: "The control's expected conversion (purchase) rate." }),
    target_rate: rate.openapi({ description: "The rate worth detecting." }),
    analysis: z.enum(experimentAnalyses).default("fixed"),
    mixing_variance: z.number().positive().nullable().optional(),
  })
  .openapi("CampaignExperimentInput");

const targetBody = z
  .union([
    z.strictObject({ cohort: hashId("A cohort of the brand: its members at launch.") }),
    z.strictObject({ snapshot: hashId("A snapshot of a cohort of the brand: its frozen members.") }),
  ])
  .openapi("CampaignTarget");

const code = z.string().trim().min(1).max(200).openapi({
  description:
    "The sales campaign's code (`utm_campaign`): made for the brand if new; one message campaign each.",
  example: "spring-sale",
});
const goalWindowDays = z
  .number()
  .int()
  .min(1)
  .max(90)
  .openapi({ description: "A purchase within this many days of assignment is the goal (1–90)." });

export const createCampaignBody = z
  .strictObject({
    brand: hashId("The brand the campaign sends for."),
    name,
    code,
    target: targetBody,
    goal_window_days: goalWindowDays.default(7),
    arms: z.array(armBody).min(1).max(20),
    experiment: experimentBody
      .optional()
      .openapi({ description: "Required with more than one arm, refused with one." }),
  })
  .openapi("CreateMessageCampaign");

export const updateCampaignBody = z
  .strictObject({
    name: name.optional(),
    code: code.optional(),
    target: targetBody.optional(),
    goal_window_days: goalWindowDays.optional(),
    arms: z.array(armBody).min(1).max(20).optional(),
    experiment: experimentBody.nullable().optional(),
  })
  .openapi("UpdateMessageCampaign");

export const launchCampaignBody = z
  .strictObject({
    scheduled_at: inputTimestamp
      .optional()
      .openapi({ description: "Launch then (the dispatcher's minute); omitted: now." }),
  })
  .openapi("LaunchMessageCampaign");

type ArmJson = z.infer<typeof armBody>;
type ExperimentJson = z.infer<typeof experimentBody>;

const armInput = (arm: ArmJson): ArmBody => {
  const message = arm.message ?? null;
  return {
    name: arm.name,
    role: arm.role,
    weight: arm.weight,
    message:
      message === null
        ? null
        : {
            channel: message.channel,
            class: message.class,
            text: message.text,
            subject: message.subject,
            template: message.template,
            variables: message.variables,
            linkUrl: message.link_url,
          },
  };
};

const experimentInput = (experiment: ExperimentJson): ExperimentInput => ({
  key: experiment.key,
  alpha: experiment.alpha,
  power: experiment.power,
  baselineRate: experiment.baseline_rate,
  targetRate: experiment.target_rate,
  analysis: experiment.analysis,
  mixingVariance: experiment.mixing_variance,
});

export const armsInput = (arms: ArmJson[]): ArmBody[] => arms.map(armInput);
export const experimentOf = (
  experiment: ExperimentJson | null | undefined,
): ExperimentInput | null | undefined =>
  experiment === undefined || experiment === null ? experiment : experimentInput(experiment);
export const targetInput = (target: z.infer<typeof targetBody>): TargetInput => target;

// Responses

const messageSchema = z
  .object({
    channel,
    class: messageClass,
    text: z.string().nullable(),
    subject: z.string().nullable(),
    template: z.string().nullable().openapi({ description: "The message template's hash id." }),
    variables: z.record(z.string(), z.string()),
    link_url: z.string().nullable(),
  })
  .openapi("CampaignMessage");

const armSchema = z
  .object({
    position: z.number().int(),
    name: z.string(),
    role: armRole,
    weight: z.number().int(),
    buckets: z
      .object({ from: z.number().int(), to: z.number().int() })
      .openapi({ description: "The buckets `[from, to)` of 0–9,999 whose accounts get this arm." }),
    message: messageSchema.nullable(),
  })
  .openapi("CampaignArm");

const experimentSchema = z
  .object({
    id: hashId("Experiment id."),
    key: z.string(),
    alpha: z.number(),
    power: z.number(),
    baseline_rate: z.number(),
    target_rate: z.number(),
    analysis: z.enum(experimentAnalyses),
    mixing_variance: z.number().nullable(),
  })
  .openapi("CampaignExperiment");

export const campaignSchema = z
  .object({
    id: hashId("Message campaign id."),
    brand: hashId("Brand id."),
    name: z.string(),
    code: z.string().openapi({ description: "The sales campaign's code, the links' `utm_campaign`." }),
    status: z.enum(campaignStatuses),
    target: targetBody,
    goal_window_days: z.number().int(),
    scheduled_at: timestamp.nullable(),
    launched_at: timestamp.nullable(),
    completed_at: timestamp.nullable(),
    member_count: z
      .number()
      .int()
      .nullable()
      .openapi({ description: "Members assigned at launch; null before." }),
    arms: z.array(armSchema),
    experiment: experimentSchema.nullable(),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .openapi("MessageCampaign");

export const campaignPage = pageOf(campaignSchema, "MessageCampaignPage");

const presentMessage = (
  ids: HashIds,
  message: NonNullable<CampaignArm["message"]>,
): z.infer<typeof messageSchema> => ({
  channel: message.channel,
  class: message.class,
  text: message.text,
  subject: message.subject,
  template: message.templateId === null ? null : ids.encode("messageTemplate", message.templateId),
  variables: message.variables,
  link_url: message.linkUrl,
});

export function presentCampaign(ids: HashIds, campaign: MessageCampaign): z.infer<typeof campaignSchema> {
  const experiment = campaign.experiment;
  return {
    id: ids.encode("messageCampaign", campaign.id),
    brand: ids.encode("brand", campaign.brandId),
    name: campaign.name,
    code: campaign.code,
    status: campaign.status,
    target:
      campaign.target.kind === "cohort"
        ? { cohort: ids.encode("cohort", campaign.target.id) }
        : { snapshot: ids.encode("cohortSnapshot", campaign.target.id) },
    goal_window_days: campaign.goalWindowDays,
    scheduled_at: isoOrNull(campaign.scheduledAt),
    launched_at: isoOrNull(campaign.launchedAt),
    completed_at: isoOrNull(campaign.completedAt),
    member_count: campaign.memberCount,
    arms: campaign.arms.map((arm) => ({
      position: arm.position,
      name: arm.name,
      role: arm.role,
      weight: arm.weight,
      buckets: { from: arm.bucketFrom, to: arm.bucketTo },
      message: arm.message === null ? null : presentMessage(ids, arm.message),
    })),
    experiment:
      experiment === null
        ? null
        : {
            id: ids.encode("experiment", experiment.id),
            key: experiment.key,
            ...presentExperimentDesign(experiment),
          },
    created_at: iso(campaign.createdAt),
    updated_at: iso(campaign.updatedAt),
  };
}

/** An experiment's design as the API shows it, in a campaign and in its results. */
export function presentExperimentDesign(design: {
  alpha: number;
  power: number;
  baselineRate: number;
  targetRate: number;
  analysis: "fixed" | "sequential";
  mixingVariance: number | null;
}) {
  return {
    alpha: design.alpha,
    power: design.power,
    baseline_rate: design.baselineRate,
    target_rate: design.targetRate,
    analysis: design.analysis,
    mixing_variance: design.mixingVariance,
  };
}
