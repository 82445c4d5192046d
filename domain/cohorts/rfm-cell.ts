import type { VerbContext } from "../core/verb.ts";
import { type CohortRefresh, type CohortWithCount, createCohort } from "./cohorts.ts";
import type { Definition } from "./definition.ts";

/** The definition of one cell of a brand's R × F heatmap: brand = b AND r_score = r AND f_score = f. */
export function rfmCellDefinition(brand: string, r: number, f: number): Definition<string> {
  return {
    op: "and",
    rules: [
      { field: "brand", op: "equals", value: brand },
      { field: "r_score", op: "equals", value: r },
      { field: "f_score", op: "equals", value: f },
    ],
  };
}

export interface CellCohortInput {
  /** Brand hash id. */
  brand: string;
  r: number;
  f: number;
  /** `RFM R<r> F<f>` unless given. */
  name?: string | undefined;
  refresh: CohortRefresh;
}

/** Any cell of the R × F heatmap as a saved cohort, in one call (SPEC §11); counted as it is saved. */
export function createCellCohort({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: CellCohortInput;
}): Promise<CohortWithCount> {
  return createCohort({
    ctx,
    input: {
      brand: input.brand,
      name: input.name ?? `RFM R${input.r} F${input.f}`,
      definition: rfmCellDefinition(input.brand, input.r, input.f),
      refresh: input.refresh,
    },
  });
}
