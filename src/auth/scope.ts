import type { Params } from '../sql.js';
import type { Principal } from './policy.js';

/**
 * SQL predicates that keep a query inside the caller's scope.
 * `placeIdSql` is the column holding the object's node of the district tree (a district, village or site id).
 */
export function placeInScope(principal: Principal, placeIdSql: string, params: Params): string {
  switch (principal.role) {
    case 'admin':
    case 'bureau':
      return 'TRUE';
    case 'duty':
      return `EXISTS (SELECT 1 FROM districts scope_d WHERE scope_d.id = ${placeIdSql}
                        AND scope_d.ancestors @> ARRAY[${params.p(principal.scopeDistrictId)}::uuid])`;
    case 'contractor':
      // contractors see places only through the cameras of their contracts (see cameraInScope)
      return 'FALSE';
  }
}

/**
 * A camera is in a contractor's scope when one of its contracts in force today (county calendar) covers a node
 * on the path from the county down to the camera's site.
 */
export function cameraInScope(
  principal: Principal,
  siteIdSql: string,
  params: Params,
  timeZone: string,
): string {
  if (principal.role !== 'contractor') return placeInScope(principal, siteIdSql, params);
  return `EXISTS (SELECT 1 FROM contract_areas ca
                    JOIN contracts k ON k.id = ca.contract_id
                    JOIN districts site_d ON site_d.id = ${siteIdSql}
                   WHERE k.contractor_id = ${params.p(principal.contractorId)}
                     AND (now() AT TIME ZONE ${params.p(timeZone)})::date BETWEEN k.valid_from AND k.valid_to
                     AND site_d.ancestors @> ARRAY[ca.district_id])`;
}

/** Contractors and contracts: a contractor sees its own only. */
export function contractorInScope(principal: Principal, contractorIdSql: string, params: Params): string {
  if (principal.role === 'contractor') return `${contractorIdSql} = ${params.p(principal.contractorId)}`;
  return principal.role === 'duty' ? 'FALSE' : 'TRUE';
}
