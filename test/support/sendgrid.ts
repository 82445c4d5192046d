/**
 * A realistic SendGrid Event Webhook batch (the shapes of SendGrid's own examples): one event of every
 * type SendGrid posts, with fresh `sg_event_id`s per call so tests sharing a database never collide.
 */

export interface SendGridBatchOptions {
  /** Recipient of the delivery events (processed … group_resubscribe). */
  email: string;
  /** Recipient of the hard bounce (and the dropped event that follows it). */
  bouncedEmail: string;
  /** Recipient of the soft bounce (`blocked`). */
  blockedEmail: string;
  /** The brand's hash id, sent as the `leadrail_brand` custom argument; null sends none. */
  brand: string | null;
  /** Unix seconds of the first event. */
  timestamp: number;
  /** Makes event ids unique to this batch. */
  tag: string;
}

export type SendGridEvent = Record<string, unknown>;

/** The eleven SendGrid event types in the order a message lives them, plus a blocked bounce. */
export function sendGridBatch(options: SendGridBatchOptions): SendGridEvent[] {
  const { email, tag } = options;
  const messageId = `14c5d75ce93.dfd.64b469.filter0001.16648.${tag}.0`;
  const base = (event: string, offset: number, to = email): SendGridEvent => ({
    email: to,
    timestamp: options.timestamp + offset,
    "smtp-id": `<14c5d75ce93.dfd.64b469@ismtpd-${tag}>`,
    event,
    category: ["newsletter", "autumn-2026"],
    sg_event_id: `${tag}-${event}-${offset}`,
    sg_message_id: messageId,
    ...(options.brand ? { leadrail_brand: options.brand } : {}),
    campaign: "autumn-2026",
  });
  const browser = {
    useragent: "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    ip: "203.0.113.7",
  };
  return [
    { ...base("processed", 0), pool: { name: "transactional", id: 210 } },
    { ...base("deferred", 1), response: "400 try again later", attempt: "5" },
    { ...base("delivered", 2), response: "250 OK", tls: 1 },
    { ...base("open", 3), ...browser, sg_machine_open: false },
    {
      ...base("click", 4),
      ...browser,
      url: "https://shop.example/autumn?utm_source=sendgrid",
      url_offset: { index: 0, type: "html" },
    },
    { ...base("group_unsubscribe", 5), ...browser, url: "https://shop.example/prefs", asm_group_id: 42 },
    { ...base("group_resubscribe", 6), ...browser, url: "https://shop.example/prefs", asm_group_id: 42 },
    { ...base("spamreport", 7) },
    { ...base("unsubscribe", 8) },
    {
      ...base("bounce", 9, options.bouncedEmail),
      reason: "550 5.1.1 The email account that you tried to reach does not exist.",
      status: "5.1.1",
      type: "bounce",
      bounce_classification: "Invalid Address",
    },
    {
      ...base("dropped", 10, options.bouncedEmail),
      reason: "Bounced Address",
      status: "5.0.0",
    },
    {
      ...base("bounce", 11, options.blockedEmail),
      reason: "421 4.7.0 Try again later, closing connection.",
      status: "4.7.0",
      type: "blocked",
      bounce_classification: "Reputation",
    },
  ];
}
