import Sqids from "sqids";
import { BoundedCache } from "./bounded-cache.ts";

/**
 * Public references are sqids of `[kind, id]`: a brand's hash id can never be
 * mistaken for a product's, and sequential database ids never leave the system.
 */
export const entityKinds = {
  brand: 1,
  theme: 2,
  partner: 3,
  product: 4,
  landing: 5,
  contact: 6,
  rule: 7,
  relayTarget: 8,
  apiKey: 9,
  relayJob: 10,
  failedEvent: 11,
  market: 12,
  store: 13,
  account: 14,
  order: 15,
  orderItem: 16,
  invoice: 17,
  invoiceItem: 18,
  creditNote: 19,
  payment: 20,
  refund: 21,
  subscription: 22,
  offer: 23,
  coupon: 24,
  campaign: 25,
  conversion: 26,
  influencer: 27,
  acquisitionRule: 28,
  batchRun: 29,
  cohort: 30,
  cohortSnapshot: 31,
  messageCampaign: 32,
  experiment: 33,
  messageTemplate: 34,
  messageSend: 35,
  optOut: 36,
} as const;
export type EntityKind = keyof typeof entityKinds;

export interface HashIds {
  encode(kind: EntityKind, id: number): string;
  /** The internal id, or `null` when the value is not a canonical hash id of that kind. */
  decode(kind: EntityKind, value: string): number | null;
}

const cache = new Map<string, HashIds>();

const escapeRegExp = (word: string): string => word.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * The same decision as sqids' own blocklist check, compiled once: sqids tests every blocklist word
 * (about 560) with a regular expression on every encode, about 45 µs per id, and an order's response
 * carries some 25 ids. Words of three letters or fewer only block an id equal to them; words with a
 * digit block an id that starts or ends with them; the others block an id that contains them.
 */
export function blockedIdCheck(words: ReadonlySet<string>): (id: string) => boolean {
  const short = new Set<string>();
  const edges: string[] = [];
  const inner: string[] = [];
  for (const word of words) {
    if (word.length <= 3) short.add(word);
    else if (/\d/.test(word)) edges.push(escapeRegExp(word));
    else inner.push(escapeRegExp(word));
  }
  const edge = edges.length > 0 ? new RegExp(`^(?:${edges.join("|")})|(?:${edges.join("|")})$`) : null;
  const contains = inner.length > 0 ? new RegExp(inner.join("|")) : null;
  return (id) => {
    const lower = id.toLowerCase();
    if (lower.length <= 3) return short.has(lower);
    return short.has(lower) || (edge?.test(lower) ?? false) || (contains?.test(lower) ?? false);
  };
}

/**
 * A function of one string, remembered. sqids' `shuffle` reorders an alphabet the same way every time,
 * and encoding an id (two numbers, at least 8 characters) shuffles two or three times at about 1.6 µs
 * each. What it is given are rotations of one alphabet and their shuffles, a few thousand strings at
 * most (decoding input is capped at 32 characters); the memory is bounded all the same.
 */
export function remembered(fn: (value: string) => string, maxEntries = 4096): (value: string) => string {
  const memo = new BoundedCache<string, string>(maxEntries);
  return (value) => {
    let result = memo.get(value);
    if (result === undefined) {
      result = fn(value);
      memo.set(value, result);
    }
    return result;
  };
}

/**
 * Sqids with its blocklist check replaced by {@link blockedIdCheck} and its shuffle {@link remembered}:
 * the same ids, much faster.
 */
function fastSqids(alphabet: string): Sqids {
  const sqids = new Sqids({ alphabet, minLength: 8 });
  // `blocklist`, `isBlockedId` and `shuffle` are private in sqids' types; they are plain properties at run time.
  const internals = sqids as unknown as {
    blocklist: Set<string>;
    isBlockedId: (id: string) => boolean;
    shuffle: (alphabet: string) => string;
  };
  internals.isBlockedId = blockedIdCheck(internals.blocklist);
  internals.shuffle = remembered(internals.shuffle.bind(sqids));
  return sqids;
}

export function hashIds(alphabet: string): HashIds {
  const cached = cache.get(alphabet);
  if (cached) return cached;
  const sqids = fastSqids(alphabet);
  const codec: HashIds = {
    encode: (kind, id) => sqids.encode([entityKinds[kind], id]),
    decode: (kind, value) => {
      if (value.length === 0 || value.length > 32) return null;
      let numbers: number[];
      try {
        numbers = sqids.decode(value);
      } catch {
        return null;
      }
      const [decodedKind, id] = numbers;
      if (numbers.length !== 2 || decodedKind !== entityKinds[kind] || id === undefined || id < 1)
        return null;
      // sqids decodes many strings to the same numbers; only the canonical spelling is an id.
      return sqids.encode(numbers) === value ? id : null;
    },
  };
  cache.set(alphabet, codec);
  return codec;
}
