/**
 * A Postgres array literal for one bind parameter (`= ANY($1::bigint[])`, `unnest($1::text[])`):
 * a set-based statement keeps one parameter per column, whatever the number of rows.
 */
export function pgArray(values: readonly (string | number | boolean | null)[]): string {
  const items = values.map((value) => {
    if (value === null) return "NULL";
    if (typeof value === "number") {
      if (!Number.isFinite(value)) throw new TypeError("pgArray: not a finite number");
      return String(value);
    }
    if (typeof value === "boolean") return value ? "t" : "f";
    return `"${value.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
  });
  return `{${items.join(",")}}`;
}
