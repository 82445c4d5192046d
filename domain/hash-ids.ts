import Sqids from "sqids";

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
} as const;
export type EntityKind = keyof typeof entityKinds;

export interface HashIds {
  encode(kind: EntityKind, id: number): string;
  /** The internal id, or `null` when the value is not a canonical hash id of that kind. */
  decode(kind: EntityKind, value: string): number | null;
}

const cache = new Map<string, HashIds>();

export function hashIds(alphabet: string): HashIds {
  const cached = cache.get(alphabet);
  if (cached) return cached;
  const sqids = new Sqids({ alphabet, minLength: 8 });
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
