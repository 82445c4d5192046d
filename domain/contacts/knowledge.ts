/** How much leadrail knows about a visitor's email, from least to most. */
export const knowledgeLevels = ["unknown", "known", "known_active", "known_active_same_brand"] as const;
export type KnowledgeLevel = (typeof knowledgeLevels)[number];

/**
 * The KV knowledge index entry, key `k:<sha256 of the normalised email>`.
 * `activeBrands` lists the brand ids with an active (or restored) relationship.
 */
export interface KnowledgeEntry {
  v: 1;
  activeBrands: number[];
  /** ISO time the consumer wrote the entry. */
  at: string;
}

export const knowledgeKey = (emailSha256: string): string => `k:${emailSha256}`;

export interface KnowledgeFlags {
  known: boolean;
  knownActive: boolean;
  knownActiveSameBrand: boolean;
}

export function knowledgeFlags(
  entry: Pick<KnowledgeEntry, "activeBrands"> | null,
  brandId: number | null,
): KnowledgeFlags {
  if (!entry) return { known: false, knownActive: false, knownActiveSameBrand: false };
  const knownActive = entry.activeBrands.length > 0;
  return {
    known: true,
    knownActive,
    knownActiveSameBrand: knownActive && brandId !== null && entry.activeBrands.includes(brandId),
  };
}

/** The single most specific level that holds. */
export function knowledgeLevel(flags: KnowledgeFlags): KnowledgeLevel {
  if (flags.knownActiveSameBrand) return "known_active_same_brand";
  if (flags.knownActive) return "known_active";
  if (flags.known) return "known";
  return "unknown";
}
