/** The five outcomes of a capture, exactly as the database enum spells them. */
export const captureOutcomes = ["new", "duplicate", "restored", "invalid", "bot"] as const;
export type CaptureOutcome = (typeof captureOutcomes)[number];

/** A contact's relationship with one brand. */
export type RelationshipState = "active" | "unsubscribed" | "restored";

export interface OutcomeInput {
  isBot: boolean;
  /** Any field error makes the capture invalid. */
  invalid: boolean;
  /** The relationship of this email with the capture's brand just before this capture; `null` when none. */
  stateBefore: RelationshipState | null;
}

/**
 * Outcome classification (pipeline stage 9). A bot wins over everything; an invalid capture
 * is invalid whatever the relationship; otherwise the relationship decides: none → new,
 * unsubscribed → restored, active or restored → duplicate.
 */
export function classifyOutcome(input: OutcomeInput): CaptureOutcome {
  if (input.isBot) return "bot";
  if (input.invalid) return "invalid";
  switch (input.stateBefore) {
    case null:
      return "new";
    case "unsubscribed":
      return "restored";
    case "active":
    case "restored":
      return "duplicate";
  }
}

/** The relationship after a capture with this outcome; bots and invalid captures change nothing. */
export function relationshipAfter(
  stateBefore: RelationshipState | null,
  outcome: CaptureOutcome,
): RelationshipState | null {
  switch (outcome) {
    case "new":
      return "active";
    case "restored":
      return "restored";
    case "duplicate":
    case "invalid":
    case "bot":
      return stateBefore;
  }
}

export interface BatchCapture {
  /** Identity of the relationship: the global email and the brand (`null` parts never match anything). */
  emailKey: string | null;
  brandId: number | null;
  isBot: boolean;
  invalid: boolean;
}

export interface ClassifiedCapture {
  outcome: CaptureOutcome;
  stateBefore: RelationshipState | null;
  stateAfter: RelationshipState | null;
}

/**
 * Classifies a batch in capture order. Each capture sees the relationship as the captures
 * before it in the same batch left it: the second capture of one email for one brand is a
 * duplicate even though both read the same stored state.
 */
export function classifyBatch(
  captures: readonly BatchCapture[],
  storedState: (emailKey: string, brandId: number) => RelationshipState | null,
): ClassifiedCapture[] {
  const current = new Map<string, RelationshipState | null>();
  return captures.map((capture) => {
    if (capture.emailKey === null || capture.brandId === null) {
      const outcome = classifyOutcome({ isBot: capture.isBot, invalid: true, stateBefore: null });
      return { outcome, stateBefore: null, stateAfter: null };
    }
    const key = `${capture.brandId}:${capture.emailKey}`;
    const stateBefore = current.has(key)
      ? (current.get(key) ?? null)
      : storedState(capture.emailKey, capture.brandId);
    const outcome = classifyOutcome({ isBot: capture.isBot, invalid: capture.invalid, stateBefore });
    const stateAfter = relationshipAfter(stateBefore, outcome);
    current.set(key, stateAfter);
    return { outcome, stateBefore, stateAfter };
  });
}
