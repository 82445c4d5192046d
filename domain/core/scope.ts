import { Forbidden } from "./errors.ts";

/**
 * What an API caller may touch. `brandIds: null` means every brand; a list limits the
 * caller to those brands' resources.
 */
export interface Principal {
  apiKeyId: number;
  brandIds: readonly number[] | null;
  isAdmin: boolean;
}

export const canSeeBrand = (principal: Principal, brandId: number | null): boolean =>
  principal.brandIds === null || (brandId !== null && principal.brandIds.includes(brandId));

/** Throws Forbidden unless the caller may touch this brand (`null` = all brands: unscoped keys only). */
export function assertBrand(principal: Principal, brandId: number | null): void {
  if (!canSeeBrand(principal, brandId)) throw new Forbidden("This API key is not allowed for that brand.");
}

/** Shared catalog (themes, partners, brands themselves, wildcard rules) changes only with an unscoped key. */
export function assertUnscoped(principal: Principal): void {
  if (principal.brandIds !== null)
    throw new Forbidden("This API key is limited to some brands; this needs a key for all brands.");
}

export function assertAdmin(principal: Principal): void {
  if (!principal.isAdmin) throw new Forbidden("This needs an admin API key.");
}
