/**
 * UUIDv7 (RFC 9562): 48-bit Unix milliseconds, version 7, 12 bits of a per-isolate
 * counter so ids made in the same millisecond still sort, variant, 62 random bits.
 */
let lastMs = 0;
let sequence = 0;

export function uuidv7(now: number = Date.now()): string {
  // One native call supplies all the randomness: a v4 UUID already carries the RFC 9562 variant
  // followed by 62 random bits in its last two groups, exactly the tail a v7 needs.
  const random = crypto.randomUUID();
  let ms = Math.max(0, Math.floor(now));
  if (ms <= lastMs) {
    sequence = (sequence + 1) & 0xfff;
    if (sequence === 0) lastMs += 1;
    ms = lastMs;
  } else {
    lastMs = ms;
    // A random start below 2048 leaves room for at least 2048 more ids in the same millisecond.
    sequence = Number.parseInt(random.slice(0, 3), 16) & 0x7ff;
  }
  const time = ms.toString(16).padStart(12, "0");
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${sequence.toString(16).padStart(3, "0")}-${random.slice(19)}`;
}
