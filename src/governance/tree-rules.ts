/** The shape of the district tree: county → town/township → police district → village/community → site. */

export const DISTRICT_KINDS = [
  'county',
  'town',
  'township',
  'police_district',
  'village',
  'community',
  'site',
] as const;
export type DistrictKind = (typeof DISTRICT_KINDS)[number];

const PARENT_KINDS: Record<DistrictKind, readonly DistrictKind[]> = {
  county: [],
  town: ['county'],
  township: ['county'],
  police_district: ['town', 'township'],
  village: ['police_district'],
  community: ['police_district'],
  site: ['village', 'community'],
};

export function allowedParentKinds(kind: DistrictKind): readonly DistrictKind[] {
  return PARENT_KINDS[kind];
}

/** Why a node of `kind` may not hang under a parent of `parentKind` (null = it may). */
export function parentProblem(kind: DistrictKind, parentKind: DistrictKind | null): string | null {
  const allowed = PARENT_KINDS[kind];
  if (parentKind === null)
    return allowed.length === 0 ? null : `a ${kind} needs a parent (${allowed.join(' or ')})`;
  if (allowed.length === 0) return `a ${kind} is the root of the tree and has no parent`;
  return allowed.includes(parentKind)
    ? null
    : `a ${kind} belongs under a ${allowed.join(' or ')}, not a ${parentKind}`;
}

/** Kinds of node a duty user's scope may be: a whole town (police station) down to one village. */
export const DUTY_SCOPE_KINDS: readonly DistrictKind[] = [
  'county',
  'town',
  'township',
  'police_district',
  'village',
  'community',
];
