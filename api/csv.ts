/**
 * RFC 4180 CSV: fields separated by commas, records ended by CRLF, a field holding a comma, a double quote,
 * CR or LF enclosed in double quotes with its quotes doubled. `null` is an empty field.
 */
export function csvField(value: string | number | null): string {
  if (value === null) return "";
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export const csvRecord = (values: readonly (string | number | null)[]): string =>
  `${values.map(csvField).join(",")}\r\n`;

export const csvMediaType = "text/csv; charset=utf-8; header=present";

/** Whether a request asks for CSV: `?format=csv`, or an Accept header preferring text/csv to JSON. */
export function wantsCsv(format: string | undefined, accept: string | undefined): boolean {
  if (format !== undefined) return format === "csv";
  if (!accept) return false;
  const types = accept.split(",").map((part) => part.split(";")[0]?.trim().toLowerCase());
  const csv = types.indexOf("text/csv");
  const json = types.indexOf("application/json");
  return csv !== -1 && (json === -1 || csv < json);
}

/**
 * A CSV document streamed page by page: the header record, then each page's records as it is read, so
 * the Worker holds one page at a time whatever the export's size. `finished` settles when the stream
 * ended, failed or was cancelled (the request's database stays open until then).
 */
export function csvStream<T>(
  header: readonly string[],
  pages: AsyncGenerator<T[]>,
  record: (item: T) => (string | number | null)[],
): { body: ReadableStream<Uint8Array>; finished: Promise<void> } {
  const encoder = new TextEncoder();
  let settle: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    settle = resolve;
  });
  let started = false;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        if (!started) {
          started = true;
          controller.enqueue(encoder.encode(csvRecord(header)));
          return;
        }
        const next = await pages.next();
        if (next.done) {
          controller.close();
          settle();
          return;
        }
        controller.enqueue(encoder.encode(next.value.map((item) => csvRecord(record(item))).join("")));
      } catch (error) {
        controller.error(error);
        settle();
      }
    },
    async cancel() {
      await pages.return(undefined);
      settle();
    },
  });
  return { body, finished };
}
