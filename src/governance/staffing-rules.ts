import { ageOn } from './local-date.js';

/** The "1+X+N" roles: 1 community officer, X auxiliary police, N social forces. */
export const STAFF_ROLES = [
  'community_officer',
  'auxiliary_police',
  'police_assistant',
  'grid_worker',
  'anti_drug_worker',
  'governance_worker',
  'petition_worker',
  'judicial_mediator',
  'sanitation_worker',
  'public_welfare_worker',
] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

/**
 * The staffing rules of the county plan ("1+X+N"):
 * - every police district has one full-time community officer (社区民警);
 * - every officer has 1–2 auxiliary police (辅警);
 * - police assistants (警务专干) over 60 are to be replaced (调整退出).
 */
export const AUXILIARIES_PER_OFFICER = { min: 1, max: 2 } as const;
export const ASSISTANT_RETIREMENT_AGE = 60;

export interface DistrictStaffing {
  districtId: string;
  districtName: string;
  officers: { id: string; name: string; auxiliaries: number }[];
  assistants: { id: string; name: string; birthDate: string | null }[];
}

export type StaffingGap =
  | { kind: 'no_community_officer'; districtId: string; districtName: string }
  | {
      kind: 'auxiliaries_out_of_range';
      districtId: string;
      districtName: string;
      officerId: string;
      officerName: string;
      auxiliaries: number;
    }
  | {
      kind: 'assistant_over_age';
      districtId: string;
      districtName: string;
      staffId: string;
      staffName: string;
      age: number;
    };

export function isOverAge(birthDate: string | null, today: string): boolean {
  return birthDate !== null && ageOn(birthDate, today) > ASSISTANT_RETIREMENT_AGE;
}

export function staffingGaps(districts: DistrictStaffing[], today: string): StaffingGap[] {
  const gaps: StaffingGap[] = [];
  for (const d of districts) {
    const where = { districtId: d.districtId, districtName: d.districtName };
    if (d.officers.length === 0) gaps.push({ kind: 'no_community_officer', ...where });
    for (const officer of d.officers) {
      if (
        officer.auxiliaries < AUXILIARIES_PER_OFFICER.min ||
        officer.auxiliaries > AUXILIARIES_PER_OFFICER.max
      ) {
        gaps.push({
          kind: 'auxiliaries_out_of_range',
          ...where,
          officerId: officer.id,
          officerName: officer.name,
          auxiliaries: officer.auxiliaries,
        });
      }
    }
    for (const a of d.assistants) {
      if (a.birthDate !== null && isOverAge(a.birthDate, today)) {
        gaps.push({
          kind: 'assistant_over_age',
          ...where,
          staffId: a.id,
          staffName: a.name,
          age: ageOn(a.birthDate, today),
        });
      }
    }
  }
  return gaps;
}
