import { BoundedCache } from "../../domain/core/bounded-cache.ts";
import { type EntityKind, type HashIds, hashIds } from "../../domain/core/hash-ids.ts";

const decoded = new BoundedCache<string, number | null>(4096);
let cachedAlphabet = "";

/**
 * `hashIds(alphabet).decode` behind a bounded per-isolate memo. Decoding checks the canonical
 * spelling by re-encoding, which runs the sqids blocklist: the costliest step of a capture, and
 * the same handful of landing references arrive again and again.
 */
export function decodeHashId(alphabet: string, kind: EntityKind, value: string): number | null {
  if (alphabet !== cachedAlphabet) {
    decoded.clear();
    cachedAlphabet = alphabet;
  }
  const key = `${kind}:${value}`;
  const hit = decoded.get(key);
  if (hit !== undefined) return hit;
  const codec: HashIds = hashIds(alphabet);
  const id = codec.decode(kind, value);
  decoded.set(key, id);
  return id;
}
