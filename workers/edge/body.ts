import { bodyFormat, type FieldPairs, jsonFields } from "../../domain/capture/request-fields.ts";

/** The most body the edge reads; anything larger is refused as `too_large` without being buffered. */
export const maxBodyBytes = 64 * 1024;

export type BodyError =
  | "too_large"
  | "malformed_json"
  | "malformed_multipart"
  | "unsupported_media_type"
  | "read_error";

export interface ReadBody {
  /** The body as UTF-8 text, at most {@link maxBodyBytes} bytes of it; `null` when there is none. */
  text: string | null;
  /** Bytes the body has: those read, or the declared `Content-Length` when the body was too large to read. */
  bytes: number;
  truncated: boolean;
  error: BodyError | null;
  /** Field pairs of a readable body, `null` when it has none or could not be read. */
  pairs: FieldPairs | null;
}

const noBody: ReadBody = { text: null, bytes: 0, truncated: false, error: null, pairs: null };
const decoder = new TextDecoder();

/** Reads a landing request's body, never more than {@link maxBodyBytes}, and parses it into field pairs. */
export async function readLandingBody(request: Request): Promise<ReadBody> {
  // Only POST carries a body here (GET cannot); `request.body` is not touched on the common path,
  // because materialising the stream object costs more than reading a small body whole.
  if (request.method !== "POST") return noBody;
  const declared = declaredLength(request.headers.get("content-length"));
  const contentType = request.headers.get("content-type");
  const format = bodyFormat(contentType);
  let text: string;
  let bytes: Uint8Array | null = null;
  let total: number;
  let tooLarge = false;
  try {
    if (declared !== null && declared <= maxBodyBytes) {
      // The runtime holds a body to its Content-Length, so a declared small body can be read in one go.
      // Bytes decoded here rather than `request.text()`, which makes workerd warn (under wrangler dev and
      // an inspector) that a form body "does not appear to be text".
      bytes = new Uint8Array(await request.arrayBuffer());
      text = decoder.decode(bytes);
      total = bytes.byteLength;
    } else {
      const stream = request.body;
      if (stream === null) return noBody;
      const read = await readCapped(stream, maxBodyBytes);
      ({ bytes, total, tooLarge } = read);
      text = decoder.decode(bytes);
      if (declared !== null && declared > total) total = declared;
    }
  } catch {
    return { text: null, bytes: declared ?? 0, truncated: false, error: "read_error", pairs: null };
  }
  if (total === 0) return noBody;
  if (tooLarge) return { text, bytes: total, truncated: true, error: "too_large", pairs: null };

  const read = { text, bytes: total, truncated: false };
  switch (format) {
    case "form":
      return { ...read, error: null, pairs: new URLSearchParams(text) };
    case "json": {
      const parsed = jsonFields(text);
      return parsed.ok
        ? { ...read, error: null, pairs: parsed.pairs }
        : { ...read, error: parsed.error, pairs: null };
    }
    case "multipart":
      return readMultipart(bytes ?? new TextEncoder().encode(text), contentType ?? "", read);
    case "unsupported":
      return { ...read, error: "unsupported_media_type", pairs: null };
  }
}

async function readMultipart(
  bytes: Uint8Array,
  contentType: string,
  read: Pick<ReadBody, "text" | "bytes" | "truncated">,
): Promise<ReadBody> {
  try {
    const form = await new Response(bytes, { headers: { "content-type": contentType } }).formData();
    const pairs: [string, string][] = [];
    for (const [name, value] of form) {
      // Uploaded files are not fields; their bytes stay in the raw body.
      if (typeof value === "string") pairs.push([name, value]);
    }
    return { ...read, error: null, pairs };
  } catch {
    return { ...read, error: "malformed_multipart", pairs: null };
  }
}

async function readCapped(
  stream: ReadableStream<Uint8Array>,
  cap: number,
): Promise<{ bytes: Uint8Array; total: number; tooLarge: boolean }> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  let tooLarge = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    chunks.push(value);
    if (total > cap) {
      tooLarge = true;
      // Stop reading: the rest of an oversized body is never buffered.
      await reader.cancel().catch(() => {});
      break;
    }
  }
  const kept = Math.min(total, cap);
  const bytes = new Uint8Array(kept);
  let offset = 0;
  for (const chunk of chunks) {
    if (offset >= kept) break;
    const slice = chunk.subarray(0, kept - offset);
    bytes.set(slice, offset);
    offset += slice.byteLength;
  }
  return { bytes, total, tooLarge };
}

function declaredLength(header: string | null): number | null {
  if (header === null || !/^\d{1,15}$/.test(header)) return null;
  return Number(header);
}
