import iconv from "iconv-lite";

/** A character EUC-KR cannot encode: itself, its code point (`U+1F600`) and its UTF-16 index in the text. */
export interface UnencodableCharacter {
  character: string;
  codePoint: string;
  index: number;
}

export interface EucKrLength {
  /** Bytes of the EUC-KR encoding, an unencodable character counted as the one byte of `?` it would become. */
  bytes: number;
  /** The characters EUC-KR cannot encode, in text order; empty when the whole text encodes. */
  unencodable: readonly UnencodableCharacter[];
}

const question = 0x3f;

/**
 * The length of `text` in EUC-KR bytes, as Korean carriers count SMS and LMS: ASCII 1 byte, Hangul,
 * Hanja and the KS X 1001 symbols 2 bytes. iconv-lite's `euc-kr` is CP949 (Unified Hangul Code), the
 * superset Korean phones and carriers use, so all 11,172 modern Hangul syllables count 2 bytes, not only
 * the 2,350 of KS X 1001 (`똠` is `8C 63`).
 *
 * Characters outside it (emoji, accented Latin such as `é`, the no-break space, lone surrogates) would
 * reach the phone as `?`: they are listed in `unencodable` for the gate to refuse, naming each, and are
 * counted as one byte meanwhile.
 */
export function eucKrByteLength(text: string): EucKrLength {
  const encoded = iconv.encode(text, "euc-kr");
  // 0x3F is never a CP949 trail byte, so each `?` byte is a `?` of the text or a replaced character.
  let questionBytes = 0;
  for (const byte of encoded) if (byte === question) questionBytes += 1;
  let questionMarks = 0;
  for (const char of text) if (char === "?") questionMarks += 1;
  if (questionBytes === questionMarks) return { bytes: encoded.length, unencodable: [] };
  const unencodable: UnencodableCharacter[] = [];
  let index = 0;
  for (const character of text) {
    if (character !== "?" && character.charCodeAt(0) >= 0x80) {
      const bytes = iconv.encode(character, "euc-kr");
      if (bytes.length === 1 && bytes[0] === question)
        unencodable.push({ character, codePoint: codePointOf(character), index });
    }
    index += character.length;
  }
  return { bytes: encoded.length, unencodable };
}

/** `U+` and at least four hex digits, as Unicode names code points. */
export function codePointOf(character: string): string {
  const codePoint = character.codePointAt(0) ?? 0;
  return `U+${codePoint.toString(16).toUpperCase().padStart(4, "0")}`;
}
