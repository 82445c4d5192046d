/**
 * SHA-256 (FIPS 180-4) of a string's UTF-8 bytes, in plain synchronous JavaScript. The edge hashes
 * one short email per request: a single 64-byte block, which is cheaper to compute here than to hand
 * to the runtime's native digest and await. Tested against `node:crypto` (test/unit/sha256.test.ts).
 */

const primes = (count: number): number[] => {
  const found: number[] = [];
  for (let candidate = 2; found.length < count; candidate += 1) {
    if (found.every((prime) => candidate % prime !== 0)) found.push(candidate);
  }
  return found;
};

/** The first 32 bits of the fractional part of a number: how FIPS 180-4 derives its constants. */
const fractionBits = (value: number): number => Math.floor((value - Math.floor(value)) * 2 ** 32) | 0;

const first64Primes = primes(64);
/** Round constants: cube roots of the first 64 primes. */
const roundConstants = Int32Array.from(first64Primes, (prime) => fractionBits(Math.cbrt(prime)));
/** Initial hash value: square roots of the first 8 primes. */
const initialHash = Int32Array.from(first64Primes.slice(0, 8), (prime) => fractionBits(Math.sqrt(prime)));

const schedule = new Int32Array(64);
const state = new Int32Array(8);
let buffer = new Uint8Array(128);
const hexBytes = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"));

/** Writes the UTF-8 bytes of `text` into `buffer` (growing it) and returns their count. */
function encodeUtf8(text: string): number {
  // At most 3 bytes per UTF-16 unit, plus the 72 bytes padding may need.
  const needed = text.length * 3 + 72;
  if (buffer.length < needed) buffer = new Uint8Array(Math.max(needed, buffer.length * 2));
  let length = 0;
  for (let index = 0; index < text.length; index += 1) {
    let code = text.charCodeAt(index);
    if (code < 0x80) {
      buffer[length++] = code;
      continue;
    }
    if (code >= 0xd800 && code <= 0xdbff && index + 1 < text.length) {
      const next = text.charCodeAt(index + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        code = 0x10000 + ((code - 0xd800) << 10) + (next - 0xdc00);
        index += 1;
      }
    }
    // Unpaired surrogates become U+FFFD, as TextEncoder writes them.
    if (code >= 0xd800 && code <= 0xdfff) code = 0xfffd;
    if (code < 0x800) {
      buffer[length++] = 0xc0 | (code >> 6);
      buffer[length++] = 0x80 | (code & 0x3f);
    } else if (code < 0x10000) {
      buffer[length++] = 0xe0 | (code >> 12);
      buffer[length++] = 0x80 | ((code >> 6) & 0x3f);
      buffer[length++] = 0x80 | (code & 0x3f);
    } else {
      buffer[length++] = 0xf0 | (code >> 18);
      buffer[length++] = 0x80 | ((code >> 12) & 0x3f);
      buffer[length++] = 0x80 | ((code >> 6) & 0x3f);
      buffer[length++] = 0x80 | (code & 0x3f);
    }
  }
  return length;
}

const rotr = (value: number, bits: number): number => (value >>> bits) | (value << (32 - bits));

function compress(block: Uint8Array, offset: number): void {
  const w = schedule;
  for (let t = 0; t < 16; t += 1) {
    const at = offset + t * 4;
    w[t] =
      ((block[at] ?? 0) << 24) |
      ((block[at + 1] ?? 0) << 16) |
      ((block[at + 2] ?? 0) << 8) |
      (block[at + 3] ?? 0);
  }
  for (let t = 16; t < 64; t += 1) {
    const w15 = w[t - 15] ?? 0;
    const w2 = w[t - 2] ?? 0;
    const s0 = rotr(w15, 7) ^ rotr(w15, 18) ^ (w15 >>> 3);
    const s1 = rotr(w2, 17) ^ rotr(w2, 19) ^ (w2 >>> 10);
    w[t] = ((w[t - 16] ?? 0) + s0 + (w[t - 7] ?? 0) + s1) | 0;
  }
  let a = state[0] ?? 0;
  let b = state[1] ?? 0;
  let c = state[2] ?? 0;
  let d = state[3] ?? 0;
  let e = state[4] ?? 0;
  let f = state[5] ?? 0;
  let g = state[6] ?? 0;
  let h = state[7] ?? 0;
  for (let t = 0; t < 64; t += 1) {
    const s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
    const choose = (e & f) ^ (~e & g);
    const temp1 = (h + s1 + choose + (roundConstants[t] ?? 0) + (w[t] ?? 0)) | 0;
    const s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
    const majority = (a & b) ^ (a & c) ^ (b & c);
    const temp2 = (s0 + majority) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + temp1) | 0;
    d = c;
    c = b;
    b = a;
    a = (temp1 + temp2) | 0;
  }
  state[0] = ((state[0] ?? 0) + a) | 0;
  state[1] = ((state[1] ?? 0) + b) | 0;
  state[2] = ((state[2] ?? 0) + c) | 0;
  state[3] = ((state[3] ?? 0) + d) | 0;
  state[4] = ((state[4] ?? 0) + e) | 0;
  state[5] = ((state[5] ?? 0) + f) | 0;
  state[6] = ((state[6] ?? 0) + g) | 0;
  state[7] = ((state[7] ?? 0) + h) | 0;
}

/** Lower-case hex SHA-256 of the UTF-8 encoding of `text`. */
export function sha256HexSync(text: string): string {
  const length = encodeUtf8(text);
  // Padding: 0x80, zeros up to 56 mod 64, then the bit length as a 64-bit big-endian number.
  const padded = Math.ceil((length + 9) / 64) * 64;
  buffer[length] = 0x80;
  buffer.fill(0, length + 1, padded);
  const bits = length * 8;
  const high = Math.floor(bits / 2 ** 32);
  buffer[padded - 8] = high >>> 24;
  buffer[padded - 7] = (high >>> 16) & 0xff;
  buffer[padded - 6] = (high >>> 8) & 0xff;
  buffer[padded - 5] = high & 0xff;
  buffer[padded - 4] = bits >>> 24;
  buffer[padded - 3] = (bits >>> 16) & 0xff;
  buffer[padded - 2] = (bits >>> 8) & 0xff;
  buffer[padded - 1] = bits & 0xff;
  state.set(initialHash);
  for (let offset = 0; offset < padded; offset += 64) compress(buffer, offset);
  let hex = "";
  for (let word = 0; word < 8; word += 1) {
    const value = state[word] ?? 0;
    hex +=
      (hexBytes[(value >>> 24) & 0xff] ?? "") +
      (hexBytes[(value >>> 16) & 0xff] ?? "") +
      (hexBytes[(value >>> 8) & 0xff] ?? "") +
      (hexBytes[value & 0xff] ?? "");
  }
  return hex;
}
