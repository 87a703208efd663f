/**
 * Who may do what. Roles decide which kinds of object a user may read or write at all (403 otherwise);
 * scopes decide which objects of that kind (404 outside it — see scope.ts).
 */
export const ROLES = ['duty', 'contractor', 'bureau', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  userId: string;
  username: string;
  role: Role;
  /** duty: the node of the district tree whose subtree the user sees */
  scopeDistrictId: string | null;
  /** contractor: the contractor whose contracts decide what the user sees */
  contractorId: string | null;
  sessionId: string;
}

export type Resource =
  | 'districts'
  | 'police-offices'
  | 'staff'
  | 'contractors'
  | 'contracts'
  | 'cameras'
  | 'incidents'
  | 'users'
  | 'audit'
  | 'discovery'
  | 'inventory'
  | 'availability'
  | 'exclusions'
  | 'alerts'
  | 'tickets'
  | 'notifications'
  | 'reports'
  | 'monthly-reports'
  | 'video';

export type Access = 'none' | 'read' | 'write';

const POLICY: Record<Resource, Record<Role, Access>> = {
  districts: { admin: 'write', bureau: 'read', duty: 'read', contractor: 'none' },
  'police-offices': { admin: 'write', bureau: 'read', duty: 'read', contractor: 'none' },
  staff: { admin: 'write', bureau: 'read', duty: 'read', contractor: 'none' },
  contractors: { admin: 'write', bureau: 'read', duty: 'none', contractor: 'read' },
  contracts: { admin: 'write', bureau: 'read', duty: 'none', contractor: 'read' },
  cameras: { admin: 'write', bureau: 'read', duty: 'read', contractor: 'read' },
  // duty staff record the incidents of their own district
  incidents: { admin: 'write', bureau: 'read', duty: 'write', contractor: 'none' },
  users: { admin: 'write', bureau: 'none', duty: 'none', contractor: 'none' },
  audit: { admin: 'read', bureau: 'read', duty: 'none', contractor: 'none' },
  // scans touch the county's networks: admins only
  discovery: { admin: 'write', bureau: 'none', duty: 'none', contractor: 'none' },
  // what ONVIF reports of a camera (firmware, clock, label): whoever may see the camera
  inventory: { admin: 'read', bureau: 'read', duty: 'read', contractor: 'read' },
  // camera health and the 95% figures of a node of the tree
  availability: { admin: 'read', bureau: 'read', duty: 'read', contractor: 'none' },
  // maintenance windows and external-cause outages: requested and approved by the bureau
  exclusions: { admin: 'write', bureau: 'write', duty: 'read', contractor: 'none' },
  // duty desks acknowledge the alerts of their district; contractors get tickets, not alerts
  alerts: { admin: 'write', bureau: 'write', duty: 'write', contractor: 'none' },
  // contractors work their own tickets; the bureau decides disputes; duty desks follow their district's
  tickets: { admin: 'write', bureau: 'write', duty: 'read', contractor: 'write' },
  // where notifications go and the dead letters: admins set them up, the bureau looks
  notifications: { admin: 'write', bureau: 'read', duty: 'none', contractor: 'none' },
  // SLA and open-fault reports, each within the reader's scope
  reports: { admin: 'read', bureau: 'read', duty: 'read', contractor: 'read' },
  // the county-wide monthly availability report: the bureau reads it, admins also regenerate a month
  'monthly-reports': { admin: 'write', bureau: 'read', duty: 'none', contractor: 'none' },
  // live video of the cameras in scope; contractors never (they get snapshots on their tickets)
  video: { admin: 'read', bureau: 'read', duty: 'read', contractor: 'none' },
};

export function accessOf(role: Role, resource: Resource): Access {
  return POLICY[resource][role];
}

export function canRead(role: Role, resource: Resource): boolean {
  return accessOf(role, resource) !== 'none';
}

export function canWrite(role: Role, resource: Resource): boolean {
  return accessOf(role, resource) === 'write';
}

const SYSTEM_ID = '00000000-0000-0000-0000-000000000000';

/** Seeding and command-line tools act as the system rather than as a logged-in user. */
export const systemPrincipal: Principal = {
  userId: SYSTEM_ID,
  username: 'system',
  role: 'admin',
  scopeDistrictId: null,
  contractorId: null,
  sessionId: SYSTEM_ID,
};

export function isSystem(who: Pick<Principal, 'userId'>): boolean {
  return who.userId === SYSTEM_ID;
}
