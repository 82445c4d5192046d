/** The SQLSTATE of a database error, looking through the wrappers drizzle adds. */
export function sqlState(error: unknown): string | null {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== null && typeof current === "object"; depth += 1) {
    const code = "code" in current ? current.code : undefined;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
    current = "cause" in current ? current.cause : undefined;
  }
  return null;
}

/** The constraint a database error names, if any (unique, check or foreign key violations). */
export function violatedConstraint(error: unknown): string | null {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== null && typeof current === "object"; depth += 1) {
    const constraint = "constraint" in current ? current.constraint : undefined;
    if (typeof constraint === "string") return constraint;
    current = "cause" in current ? current.cause : undefined;
  }
  return null;
}

export const uniqueViolation = "23505";
export const foreignKeyViolation = "23503";
/** Deadlock detected, serialization failure: the transaction can simply run again. */
export const retryableStates: ReadonlySet<string> = new Set(["40P01", "40001"]);
