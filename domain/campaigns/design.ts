import type { FieldError, FieldErrorCategory } from "../core/errors.ts";
import { type ArmRange, type ArmRole, armRanges, bucketCount } from "../experiments/assignment.ts";
import type { MessageChannel, MessageClass } from "../messaging/channels.ts";
import {
  type ComplianceRule,
  checkMessage,
  type MessageTemplate,
  type SendContext,
} from "../messaging/compliance.ts";

/**
 * A campaign's design, checked before anything is written: its arms (one control, any variants, at most one
 * holdout; the holdout sends nothing, every other arm its message), the experiment that must accompany more
 * than one arm, and each message against the compliance gate's rules of the message alone. Pure: the caller
 * passes the brand's templates and sender settings.
 */

export const experimentAnalyses = ["fixed", "sequential"] as const;
export type ExperimentAnalysis = (typeof experimentAnalyses)[number];

export interface ArmMessageInput {
  channel: MessageChannel;
  class: MessageClass;
  text?: string | undefined;
  subject?: string | undefined;
  /** The internal id of the brand's message template, already decoded (null: did not decode). */
  templateId?: number | null | undefined;
  variables?: Record<string, string> | undefined;
  linkUrl?: string | undefined;
}

export interface ArmInput {
  name: string;
  role: ArmRole;
  weight: number;
  message?: ArmMessageInput | null | undefined;
}

export interface ExperimentInput {
  key?: string | undefined;
  alpha: number;
  power: number;
  baselineRate: number;
  targetRate: number;
  analysis: ExperimentAnalysis;
  mixingVariance?: number | null | undefined;
}

/** A template of the brand as the checks need it. */
export interface TemplateRow extends MessageTemplate {
  internalId: number;
  channel: MessageChannel;
  text: string;
  variables: string[];
}

export interface DesignContext {
  templates: ReadonlyMap<number, TemplateRow>;
  /** The brand's sender (brand_messaging_settings), or null when the brand has no settings row. */
  sender: SendContext["sender"] | null;
  /** MESSAGE_LINK_BASE_URL: `{link}` is checked at its rendered length. */
  linkBaseUrl: string;
}

/**
 * The length a tracked link's token is counted at: sqids of `[40, send, campaign, arm]` is 16 characters up to
 * send ids near 10⁹ and campaign ids near 10⁶ (10 for the first sends), so the check errs long, not short.
 */
export const linkTokenLength = 16;

/** The text as the recipient will get it, for the checks: `{link}` at its full length, `{name}` as written. */
export function renderedForCheck(text: string, linkBaseUrl: string): string {
  return text.replaceAll("{link}", `${linkBaseUrl.replace(/\/+$/, "")}/m/${"x".repeat(linkTokenLength)}`);
}

/** `#{name}` variables of a template filled from `variables`; the names without a value. */
export function fillTemplate(
  text: string,
  variables: Readonly<Record<string, string>>,
): { text: string; missing: string[] } {
  const missing: string[] = [];
  const filled = text.replace(/#\{([^}]+)\}/g, (whole, name: string) => {
    const value = variables[name];
    if (value === undefined) {
      if (!missing.includes(name)) missing.push(name);
      return whole;
    }
    return value;
  });
  return { text: filled, missing };
}

const ruleCategory = (rule: ComplianceRule): FieldErrorCategory => {
  if (rule === "text.empty") return "missing";
  if (rule.startsWith("length.")) return "too_long";
  if (rule === "encoding.euc_kr") return "malformed";
  return "not_allowed";
};

/** Which field of the message a rule's refusal is about. */
const ruleField = (rule: ComplianceRule, templated: boolean): string => {
  if (rule === "alimtalk.advertising") return "class";
  if (rule === "alimtalk.template") return "template";
  return templated ? "template" : "text";
};

/** Every bad field of one arm's message; `at` is the arm's path (`arms[1]`). */
function messageErrors(message: ArmMessageInput, at: string, context: DesignContext): FieldError[] {
  const errors: FieldError[] = [];
  const add = (field: string, category: FieldErrorCategory, text: string) =>
    errors.push({ field: `${at}.message.${field}`, category, message: text });
  let template: TemplateRow | undefined;
  if (message.templateId !== undefined) {
    if (message.templateId === null) add("template", "malformed", "Not a message template id.");
    else {
      template = context.templates.get(message.templateId);
      if (!template) add("template", "not_found", "No such message template of the brand.");
      else if (template.channel !== message.channel)
        add("template", "not_allowed", `The template is for ${template.channel}, not ${message.channel}.`);
    }
    if (message.text !== undefined)
      add("text", "not_allowed", "A templated message takes its text from the template.");
  }
  if (message.subject !== undefined && message.channel !== "lms")
    add("subject", "not_allowed", "Only an LMS has a subject.");
  if (message.variables !== undefined && message.templateId === undefined && message.channel === "alimtalk")
    add("variables", "not_allowed", "Variables fill a template.");
  if (errors.length > 0) return errors;

  let text = message.text ?? "";
  if (template) {
    const filled = fillTemplate(template.text, message.variables ?? {});
    for (const name of filled.missing) add(`variables.${name}`, "missing", `The template needs #{${name}}.`);
    text = filled.text;
  }
  if (message.class === "advertising" && context.sender === null) {
    add(
      "class",
      "not_allowed",
      "brand messaging settings missing: an advertisement names the brand's sender and 080 opt-out, and the brand has none.",
    );
    return errors;
  }
  if (errors.length > 0) return errors;
  const refusal = checkMessage(
    {
      channel: message.channel,
      class: message.class,
      text: renderedForCheck(text, context.linkBaseUrl),
      template: template ? { id: template.id, status: template.status, class: template.class } : null,
    },
    context.sender ?? { name: "", contact: "", optOutNumber: "" },
  );
  if (refusal)
    add(
      ruleField(refusal.rule, template !== undefined),
      ruleCategory(refusal.rule),
      `${refusal.rule}: ${refusal.detail}`,
    );
  return errors;
}

/**
 * Every bad field of the arms and the experiment, by its path in the request (`arms[1].message.text`,
 * `experiment`); `[]` when the design can be stored.
 */
export function designErrors(
  arms: readonly ArmInput[],
  experiment: ExperimentInput | null,
  context: DesignContext,
): FieldError[] {
  const errors: FieldError[] = [];
  const add = (field: string, category: FieldErrorCategory, message: string) =>
    errors.push({ field, category, message });
  const count = (role: ArmRole) => arms.filter((arm) => arm.role === role).length;
  if (count("control") !== 1)
    add("arms", "not_allowed", `A campaign has exactly one control arm, not ${count("control")}.`);
  if (count("holdout") > 1)
    add("arms", "not_allowed", `A campaign has at most one holdout, not ${count("holdout")}.`);
  if (arms.length > 1 && count("variant") === 0)
    add("arms", "not_allowed", "An experiment needs at least one variant besides the control.");
  const total = arms.reduce((sum, arm) => sum + arm.weight, 0);
  if (total > bucketCount)
    add("arms", "out_of_range", `The weights sum to ${total}, at most ${bucketCount}.`);
  if (arms.length > 1 && experiment === null)
    add("experiment", "missing", "A campaign with more than one arm is an experiment: give its design.");
  if (arms.length === 1 && experiment !== null)
    add("experiment", "not_allowed", "A campaign of one arm has no experiment.");
  if (experiment !== null && experiment.baselineRate === experiment.targetRate)
    add("experiment.target_rate", "out_of_range", "The target rate must differ from the baseline rate.");
  const names = new Set<string>();
  arms.forEach((arm, index) => {
    const at = `arms[${index}]`;
    if (names.has(arm.name))
      add(`${at}.name`, "not_allowed", `Arm names are unique: "${arm.name}" is taken.`);
    names.add(arm.name);
    const message = arm.message ?? null;
    if (arm.role === "holdout") {
      if (message !== null) add(`${at}.message`, "not_allowed", "A holdout is sent nothing.");
    } else if (message === null)
      add(`${at}.message`, "missing", "Every arm but the holdout sends a message.");
    else errors.push(...messageErrors(message, at, context));
  });
  return errors;
}

/** The bucket ranges of valid arms: one arm takes every bucket; more are split by weight (`armRanges`). */
export function rangesOf(arms: readonly ArmInput[]): ArmRange[] {
  const [only] = arms;
  if (arms.length === 1 && only) return [{ arm: only.name, role: only.role, from: 0, to: bucketCount }];
  return armRanges(arms.map(({ name, role, weight }) => ({ name, role, weight })));
}

/** The query string a tracked link's landing gets: the source, the channel, the sales campaign and the arm. */
export function linkTarget(
  linkUrl: string,
  utm: { channel: string; campaignCode: string; arm: string },
): string {
  const url = new URL(linkUrl);
  url.searchParams.set("utm_source", "leadrail");
  url.searchParams.set("utm_medium", utm.channel);
  url.searchParams.set("utm_campaign", utm.campaignCode);
  url.searchParams.set("utm_content", utm.arm);
  return url.toString();
}
