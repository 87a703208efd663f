import type { DeviceMatch } from './discovery-view';
import type { Role } from './session';

/** The objects the admin pages read and write, as the API sends them (src/http/routes/*.ts). */
export interface User {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  scopeDistrictId: string | null;
  contractorId: string | null;
  disabled: boolean;
  passwordChangedAt: string;
  createdAt: string;
}

export const ROLES: Role[] = ['duty', 'contractor', 'bureau', 'admin'];

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

/** The kinds a duty user's scope may be (a police district or above). */
export const DUTY_SCOPE_KINDS: DistrictKind[] = ['county', 'town', 'township', 'police_district'];

/** The kinds a node of `kind` may hang under (mirror of src/governance/tree-rules.ts). */
export const PARENT_KINDS: Record<DistrictKind, DistrictKind[]> = {
  county: [],
  town: ['county'],
  township: ['county'],
  police_district: ['town', 'township'],
  village: ['police_district'],
  community: ['police_district'],
  site: ['village', 'community'],
};

export interface District {
  id: string;
  kind: DistrictKind;
  name: string;
  code: string;
  parentId: string | null;
  lat: number | null;
  lon: number | null;
  networkCidrs: string[];
}

export interface Contractor {
  id: string;
  name: string;
  contactName: string | null;
  phone: string | null;
}

export interface Contract {
  id: string;
  contractorId: string;
  reference: string;
  validFrom: string;
  validTo: string;
  faultThresholdMinutes: number;
  slaHoursTownSeat: number;
  slaHoursVillage: number;
  areaIds: string[];
}

export interface Camera {
  id: string;
  name: string;
  siteId: string;
  path: Array<{ id: string; kind: string; name: string }>;
  gbCode: string;
  vendor: string;
  model: string | null;
  ip: string | null;
  onvifUrl: string | null;
  rtspMainUrl: string | null;
  rtspSubUrl: string | null;
  lat: number | null;
  lon: number | null;
  placeClass: 'town_seat' | 'village';
  sessionLimit: number;
  hasCredentials: boolean;
  retiredAt: string | null;
}

export interface Exclusion {
  id: string;
  kind: 'maintenance' | 'external_cause';
  cameraId: string | null;
  districtId: string | null;
  from: string;
  to: string;
  reason: string;
  evidence: string | null;
  status: 'requested' | 'approved' | 'rejected';
  requestedBy: string | null;
  decidedBy: string | null;
  decidedAt: string | null;
  createdAt: string;
}

export interface VideoSession {
  id: string;
  userId: string | null;
  username: string;
  cameraId: string;
  cameraName: string | null;
  instanceId: string;
  remoteAddr: string | null;
  startedAt: string;
  endedAt: string | null;
  endReason: string | null;
  bytesSent: number;
}

export interface Scan {
  id: string;
  kind: 'unicast' | 'multicast';
  params: Record<string, unknown>;
  districtId: string | null;
  status: 'queued' | 'running' | 'done' | 'cancelled' | 'failed';
  cancelRequested: boolean;
  progress: { total: number; probed: number; found: number };
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface Device {
  id: string;
  address: string;
  /** moved: where the registered camera was */
  previousAddress: string | null;
  serialNumber: string | null;
  match: DeviceMatch;
  cameraId: string | null;
  /** when it was adopted (new) or its move accepted (moved) */
  adoptedAt: string | null;
  seenAt: string;
}

export interface PoliceOffice {
  id: string;
  districtId: string;
  name: string;
  address: string | null;
  phone: string | null;
  establishedYear: number | null;
}

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

export interface Staff {
  id: string;
  role: StaffRole;
  name: string;
  phone: string | null;
  birthDate: string | null;
  districtId: string;
  supervisorId: string | null;
  active: boolean;
  appointedOn: string | null;
  age: number | null;
  dueForReplacement: boolean;
}

interface GapPlace {
  districtId: string;
  districtName: string;
}
export type StaffingGap =
  | ({ kind: 'no_community_officer' } & GapPlace)
  | ({
      kind: 'auxiliaries_out_of_range';
      officerId: string;
      officerName: string;
      auxiliaries: number;
    } & GapPlace)
  | ({ kind: 'assistant_over_age'; staffId: string; staffName: string; age: number } & GapPlace);

export const CHANNELS = ['webhook', 'dingtalk', 'wecom'] as const;
export const SEVERITIES = ['critical', 'major', 'minor'] as const;

export interface NotificationRoute {
  id: string;
  name: string;
  channel: (typeof CHANNELS)[number];
  districtId: string | null;
  contractorId: string | null;
  minSeverity: (typeof SEVERITIES)[number];
  enabled: boolean;
  targetHost: string;
  createdAt: string;
}

export interface DeadLetter {
  id: number;
  routeId: string;
  routeName: string;
  channel: string;
  targetHost: string;
  feedKind: string;
  alertId: number | null;
  ticketId: number | null;
  attempts: number;
  lastError: string;
  failedAt: string;
  replayedAt: string | null;
  replayedBy: string | null;
}
