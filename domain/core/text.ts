/**
 * Cutting and cleaning text that came from outside (visitors, partners, stores, recipients). Lengths
 * are in UTF-16 code units, as JavaScript counts them; a cut never splits a surrogate pair, so a cut
 * value stays as well-formed as it was (an emoji is kept whole or dropped whole).
 */

/**
 * `value` cut to at most `maxUnits` UTF-16 code units, ending on a code point boundary: when the last
 * kept unit is the high half of a surrogate pair whose low half falls beyond the cut, both halves go.
 * A lone surrogate in the input is kept as it was (rendering replaces it, see {@link wellFormed}).
 */
export function truncateText(value: string, maxUnits: number): string {
  const max = Number.isFinite(maxUnits) ? Math.max(0, Math.trunc(maxUnits)) : 0;
  if (value.length <= max) return value;
  let end = max;
  if (end > 0 && isHighSurrogate(value.charCodeAt(end - 1)) && isLowSurrogate(value.charCodeAt(end)))
    end -= 1;
  return value.slice(0, end);
}

const isHighSurrogate = (unit: number): boolean => unit >= 0xd800 && unit <= 0xdbff;
const isLowSurrogate = (unit: number): boolean => unit >= 0xdc00 && unit <= 0xdfff;

const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** `value` with every lone surrogate replaced by U+FFFD, so it can be UTF-8 encoded (and percent-encoded). */
export function wellFormed(value: string): string {
  // ES2024's String.prototype.toWellFormed (workerd, Node 22); the lib this project compiles against predates it.
  const native = (value as { toWellFormed?: () => string }).toWellFormed;
  return typeof native === "function" ? native.call(value) : value.replace(loneSurrogate, "\ufffd");
}
