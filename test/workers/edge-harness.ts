import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { sha256Hex } from "../../domain/contacts/email.ts";
import { type KnowledgeEntry, knowledgeKey } from "../../domain/contacts/knowledge.ts";
import { hashIds } from "../../domain/core/hash-ids.ts";
import type { Env } from "../../domain/platform/env.ts";
import {
  type LandingDoc,
  landingKey,
  type RuleDoc,
  type RulesDoc,
} from "../../domain/routing/edge-config.ts";
import { type CaptureMessage, captureMessageSchema } from "../../queues/capture/message.ts";
import { handleEdgeRequest } from "../../workers/edge/router.ts";

/** Shared helpers of the edge's workers tests: fresh random ids in the real local KV, a recording queue. */

export const codec = hashIds(env.SQIDS_ALPHABET);
export const globalFallback = env.GLOBAL_FALLBACK_URL;

let counter = 0;
/** A fresh id, unlikely to collide with other tests or other runs sharing the local KV. */
export function freshId(): number {
  counter += 1;
  return 100_000_000 + Math.floor(Math.random() * 1_000_000_000) * 100 + (counter % 100);
}

export const freshEmail = (): string => `visitor-${crypto.randomUUID()}@example.com`;

export interface SeededLanding {
  doc: LandingDoc;
  ref: string;
}

/** A landing document in the local KV under its id (a fresh one unless `fields.id` names one). */
export async function seedLanding(fields: Partial<LandingDoc> = {}): Promise<SeededLanding> {
  const id = fields.id ?? freshId();
  const doc: LandingDoc = {
    v: 1,
    id,
    brandId: freshId(),
    themeId: freshId(),
    partnerId: freshId(),
    productId: freshId(),
    fallbackUrl: `https://fallback-${id}.landing.test/`,
    active: true,
    clickIdParam: "clickid",
    transactionIdParam: "txid",
    ...fields,
  };
  await env.EDGE_CONFIG.put(landingKey(id), JSON.stringify(doc));
  return { doc, ref: codec.encode("landing", id) };
}

export async function seedKnowledge(email: string, activeBrands: number[]): Promise<string> {
  const sha256 = sha256Hex(email);
  const entry: KnowledgeEntry = { v: 1, activeBrands, at: new Date().toISOString() };
  await env.KNOWLEDGE.put(knowledgeKey(sha256), JSON.stringify(entry));
  return sha256;
}

export function rule(fields: Partial<RuleDoc> & { targetUrl: string }): RuleDoc {
  return {
    id: freshId(),
    brandId: null,
    themeId: null,
    partnerId: null,
    productId: null,
    knowledge: "any",
    priority: 0,
    ...fields,
  };
}

export interface SentMessage {
  body: unknown;
  /** The message's own send options (`contentType`, `delaySeconds`). */
  options: Omit<MessageSendRequest, "body">;
}

export interface Harness {
  env: Env;
  sent: SentMessage[];
  /** The number of messages in each `sendBatch` call, in order. */
  batches: number[];
  /** Keys the edge asked the EDGE_CONFIG namespace for, as it asked. */
  configReads: string[];
  /** The options of every KV read, either namespace, in order. */
  readOptions: unknown[];
}

export interface HarnessOptions {
  /** The rules document this test's edge reads, `null` for none published. */
  rules?: RuleDoc[] | null;
  /** Raw value stored as the rules document (overrides `rules`). */
  rawRules?: string;
  failConfig?: "all" | "rules" | "landing";
  failKnowledge?: boolean;
  /** Milliseconds every read of these documents waits before KV answers (a slow KV rather than a failing one). */
  slowConfig?: { documents: "rules" | "landing"; ms: number };
  slowKnowledgeMs?: number;
  failSend?: boolean;
  vars?: Partial<
    Record<"EDGE_CACHE_TTL_MS" | "EDGE_KV_DEADLINE_MS" | "GLOBAL_FALLBACK_URL" | "SQIDS_ALPHABET", string>
  >;
}

/**
 * An env over the real local KV namespaces, except that the single global `rules` key is read from a
 * key of this test's own (other test files publish rules concurrently), KV reads can be made to
 * throw, and queue sends are recorded instead of delivered to the consumer.
 */
export async function harness(options: HarnessOptions = {}): Promise<Harness> {
  const rulesKey = `rules:test:${crypto.randomUUID()}`;
  if (options.rawRules !== undefined) {
    await env.EDGE_CONFIG.put(rulesKey, options.rawRules);
  } else if (options.rules) {
    const doc: RulesDoc = { v: 1, publishedAt: new Date().toISOString(), rules: options.rules };
    await env.EDGE_CONFIG.put(rulesKey, JSON.stringify(doc));
  }
  const configReads: string[] = [];
  const readOptions: unknown[] = [];
  const realConfig = env.EDGE_CONFIG;
  const edgeConfig = {
    get(key: string, getOptions?: unknown) {
      configReads.push(key);
      readOptions.push(getOptions);
      const failing =
        options.failConfig === "all" ||
        (options.failConfig === "rules" && key === "rules") ||
        (options.failConfig === "landing" && key.startsWith("landing:"));
      if (failing) return Promise.reject(new Error("KV is down"));
      const read = () =>
        realConfig.get(key === "rules" ? rulesKey : key, getOptions as KVNamespaceGetOptions<"json">);
      const slow = options.slowConfig;
      const slowed =
        slow !== undefined &&
        ((slow.documents === "rules" && key === "rules") ||
          (slow.documents === "landing" && key.startsWith("landing:")));
      return slowed ? after(slow.ms).then(read) : read();
    },
  } as unknown as KVNamespace;
  const realKnowledge = env.KNOWLEDGE;
  const knowledge = {
    get(key: string, getOptions?: unknown) {
      readOptions.push(getOptions);
      if (options.failKnowledge) return Promise.reject(new Error("KV is down"));
      const read = () => realKnowledge.get(key, getOptions as KVNamespaceGetOptions<"json">);
      return options.slowKnowledgeMs === undefined ? read() : after(options.slowKnowledgeMs).then(read);
    },
  } as unknown as KVNamespace;
  const sent: SentMessage[] = [];
  const batches: number[] = [];
  const queue = {
    async send() {
      throw new Error("the edge sends captures with sendBatch");
    },
    async sendBatch(messages: Iterable<MessageSendRequest>) {
      const list = [...messages];
      if (options.failSend) throw new Error("queue unavailable");
      batches.push(list.length);
      // What the consumer receives is the JSON form of each message.
      for (const { body, ...sendOptions } of list) {
        sent.push({ body: JSON.parse(JSON.stringify(body)), options: sendOptions });
      }
    },
  } as unknown as Queue;
  return {
    env: { ...env, ...options.vars, EDGE_CONFIG: edgeConfig, KNOWLEDGE: knowledge, CAPTURES_QUEUE: queue },
    sent,
    batches,
    configReads,
    readOptions,
  };
}

/** Console errors logged while `work` runs. */
export async function errorsDuring(work: () => Promise<void>): Promise<string[]> {
  const logged: string[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => {
    logged.push(args.map(String).join(" "));
  };
  try {
    await work();
  } finally {
    console.error = original;
  }
  return logged;
}

const after = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface EdgeCall {
  response: Response;
  message: CaptureMessage;
  raw: unknown;
}

/** Calls the edge handler, waits for its `waitUntil` work, and returns the one message it sent, parsed with the consumer's schema. */
export async function call(h: Harness, request: Request): Promise<EdgeCall> {
  const ctx = createExecutionContext();
  const before = h.sent.length;
  const response = await handleEdgeRequest(request, h.env, ctx);
  await waitOnExecutionContext(ctx);
  const sent = h.sent.slice(before);
  if (sent.length !== 1) throw new Error(`expected one queue message, got ${sent.length}`);
  const raw = sent[0]?.body;
  return { response, message: captureMessageSchema.parse(raw), raw };
}

export const landingUrl = (ref: string, query = ""): string =>
  `https://edge.leadrail.test/l/${ref}${query ? `?${query}` : ""}`;
