import { audit } from '../audit.js';
import type { Principal } from '../auth/policy.js';
import { placeInScope } from '../auth/scope.js';
import { type Db, type Queryable, withTransaction } from '../db.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { likePattern, listPage, type Page, Params } from '../sql.js';
import { type District, definedOnly, requireNode } from './districts.js';
import { ageOn, localDate } from './local-date.js';
import {
  type DistrictStaffing,
  isOverAge,
  type StaffingGap,
  type StaffRole,
  staffingGaps,
} from './staffing-rules.js';

/** What a staff record holds, as written. */
interface StaffFields {
  role: StaffRole;
  name: string;
  phone: string | null;
  birthDate: string | null;
  districtId: string;
  supervisorId: string | null;
  active: boolean;
  appointedOn: string | null;
}

export interface Staff extends StaffFields {
  id: string;
  createdAt: Date;
  updatedAt: Date;
  /** whole years today in the county's time zone; null without a birth date */
  age: number | null;
  /** a police assistant past the retirement age */
  dueForReplacement: boolean;
}

export type StaffInput = Pick<StaffFields, 'role' | 'name' | 'districtId'> & Partial<StaffFields>;

interface StaffRow {
  id: string;
  role: StaffRole;
  name: string;
  phone: string | null;
  birth_date: string | null;
  district_id: string;
  supervisor_id: string | null;
  active: boolean;
  appointed_on: string | null;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS =
  's.id, s.role, s.name, s.phone, s.birth_date, s.district_id, s.supervisor_id, s.active, s.appointed_on, s.created_at, s.updated_at';

function fieldsOf(r: StaffRow): StaffFields {
  return {
    role: r.role,
    name: r.name,
    phone: r.phone,
    birthDate: r.birth_date,
    districtId: r.district_id,
    supervisorId: r.supervisor_id,
    active: r.active,
    appointedOn: r.appointed_on,
  };
}

function toStaff(r: StaffRow, today: string): Staff {
  return {
    id: r.id,
    ...fieldsOf(r),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    age: r.birth_date === null ? null : ageOn(r.birth_date, today),
    dueForReplacement: r.role === 'police_assistant' && isOverAge(r.birth_date, today),
  };
}

export interface StaffFilter {
  under?: string;
  districtId?: string;
  role?: StaffRole;
  active?: boolean;
  q?: string;
}

export async function listStaff(
  db: Queryable,
  who: Principal,
  filter: StaffFilter,
  page: Page,
  timeZone: string,
) {
  const today = localDate(new Date(), timeZone);
  const params = new Params();
  const where = [placeInScope(who, 's.district_id', params)];
  if (filter.under) where.push(`sd.ancestors @> ARRAY[${params.p(filter.under)}::uuid]`);
  if (filter.districtId) where.push(`s.district_id = ${params.p(filter.districtId)}`);
  if (filter.role) where.push(`s.role = ${params.p(filter.role)}`);
  if (filter.active !== undefined) where.push(`s.active = ${params.p(filter.active)}`);
  if (filter.q) where.push(`s.name ILIKE ${params.p(likePattern(filter.q))}`);
  return listPage<StaffRow, Staff>(db, {
    select: COLUMNS,
    from: 'staff s JOIN districts sd ON sd.id = s.district_id',
    where,
    orderBy: 'sd.code, s.role, s.name, s.id',
    params,
    page,
    map: (r) => toStaff(r, today),
  });
}

async function staffRow(db: Queryable, who: Principal, id: string): Promise<StaffRow> {
  const params = new Params();
  const { rows } = await db.query<StaffRow>(
    `SELECT ${COLUMNS} FROM staff s WHERE s.id = ${params.p(id)} AND ${placeInScope(who, 's.district_id', params)}`,
    params.values,
  );
  if (!rows[0]) throw new NotFoundError('staff', id);
  return rows[0];
}

export async function getStaff(db: Queryable, who: Principal, id: string, timeZone: string): Promise<Staff> {
  return toStaff(await staffRow(db, who, id), localDate(new Date(), timeZone));
}

const PLACES_OF_STAFF = ['police_district', 'village', 'community'] as const;

const officerTaken = (districtId: string) =>
  new ConflictError(`police district ${districtId} already has an active community officer`, 'districtId');

/** The police district a staff member's node belongs to: the node itself, or a village's parent. */
function policeDistrictOf(node: District): string {
  return node.kind === 'police_district' ? node.id : (node.parentId as string);
}

async function checkStaff(tx: Queryable, who: Principal, id: string | null, s: StaffFields, today: string) {
  if (s.birthDate !== null && s.birthDate > today) throw new ValidationError('birthDate', 'is in the future');
  const kinds = s.role === 'community_officer' ? ['police_district' as const] : PLACES_OF_STAFF;
  const node = await requireNode(tx, who, 'districtId', s.districtId, kinds);
  if (s.role !== 'auxiliary_police' && s.supervisorId !== null) {
    throw new ValidationError('supervisorId', `only auxiliary police have a supervisor, not a ${s.role}`);
  }
  if (s.role === 'community_officer' && s.active) {
    const { rows } = await tx.query<{ id: string }>(
      `SELECT id FROM staff WHERE district_id = $1 AND role = 'community_officer' AND active
          AND id IS DISTINCT FROM $2`,
      [s.districtId, id],
    );
    if (rows[0]) throw officerTaken(s.districtId);
  }
  if (s.role === 'auxiliary_police') await checkSupervisor(tx, who, s, policeDistrictOf(node));
}

/** An active auxiliary answers to an active community officer of its own police district. */
async function checkSupervisor(tx: Queryable, who: Principal, s: StaffFields, policeDistrictId: string) {
  if (s.supervisorId === null) {
    if (s.active) throw new ValidationError('supervisorId', 'is required for active auxiliary police');
    return;
  }
  const boss = await staffRow(tx, who, s.supervisorId).catch((err) => {
    throw err instanceof NotFoundError
      ? new ValidationError('supervisorId', `no staff ${s.supervisorId}`)
      : err;
  });
  if (!s.active) return;
  if (boss.role !== 'community_officer' || !boss.active) {
    throw new ValidationError('supervisorId', `${s.supervisorId} is not an active community officer`);
  }
  if (boss.district_id !== policeDistrictId) {
    throw new ValidationError('supervisorId', `${s.supervisorId} is the officer of another police district`);
  }
}

/** An officer who still has active auxiliaries keeps being their active officer, in the same place. */
async function checkNoAuxiliaries(tx: Queryable, officerId: string, what: string) {
  const { rows } = await tx.query<{ n: number }>(
    `SELECT count(*) AS n FROM staff WHERE supervisor_id = $1 AND active AND role = 'auxiliary_police'`,
    [officerId],
  );
  const n = rows[0]?.n ?? 0;
  if (n > 0)
    throw new ConflictError(`staff ${officerId} still supervises ${n} auxiliary police: cannot ${what}`);
}

/** Checks and writes (INSERT without an id); the unique index backs the officer check up when writes race. */
async function saveStaff(tx: Queryable, who: Principal, id: string | null, s: StaffFields, today: string) {
  await checkStaff(tx, who, id, s, today);
  const { role, name, phone, birthDate, districtId, supervisorId, active, appointedOn } = s;
  const values = [role, name, phone, birthDate, districtId, supervisorId, active, appointedOn];
  try {
    const { rows } = await (id === null
      ? tx.query<StaffRow>(
          `INSERT INTO staff AS s (role, name, phone, birth_date, district_id, supervisor_id, active, appointed_on)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${COLUMNS}`,
          values,
        )
      : tx.query<StaffRow>(
          `UPDATE staff AS s SET role = $1, name = $2, phone = $3, birth_date = $4, district_id = $5,
                  supervisor_id = $6, active = $7, appointed_on = $8
            WHERE id = $9 RETURNING ${COLUMNS}`,
          [...values, id],
        ));
    return toStaff(rows[0] as StaffRow, today);
  } catch (err) {
    if ((err as { constraint?: string }).constraint !== 'staff_one_officer_per_district') throw err;
    throw officerTaken(s.districtId);
  }
}

const NEW_STAFF = { phone: null, birthDate: null, supervisorId: null, active: true, appointedOn: null };

export async function createStaff(
  db: Db,
  who: Principal,
  input: StaffInput,
  timeZone: string,
): Promise<Staff> {
  const today = localDate(new Date(), timeZone);
  return withTransaction(db, async (tx) => {
    const state = { ...NEW_STAFF, ...definedOnly(input) } as StaffFields;
    const created = await saveStaff(tx, who, null, state, today);
    await audit(tx, who, 'create', 'staff', created.id, {
      role: created.role,
      districtId: created.districtId,
    });
    return created;
  });
}

export type StaffPatch = Partial<StaffInput>;

export async function updateStaff(
  db: Db,
  who: Principal,
  id: string,
  patch: StaffPatch,
  timeZone: string,
): Promise<Staff> {
  const today = localDate(new Date(), timeZone);
  return withTransaction(db, async (tx) => {
    const current = fieldsOf(await staffRow(tx, who, id));
    const changes = definedOnly(patch);
    const s: StaffFields = { ...current, ...changes };
    const stillOfficer = s.role === 'community_officer' && s.active && s.districtId === current.districtId;
    if (current.role === 'community_officer' && current.active && !stillOfficer) {
      await checkNoAuxiliaries(tx, id, 'stop being their active officer or move');
    }
    const updated = await saveStaff(tx, who, id, s, today);
    await audit(tx, who, 'update', 'staff', id, { fields: Object.keys(changes) });
    return updated;
  });
}

export async function deleteStaff(db: Db, who: Principal, id: string): Promise<void> {
  await withTransaction(db, async (tx) => {
    const current = await staffRow(tx, who, id);
    if (current.role === 'community_officer') await checkNoAuxiliaries(tx, id, 'be deleted');
    await tx.query('DELETE FROM staff WHERE id = $1', [id]);
    await audit(tx, who, 'delete', 'staff', id);
  });
}

/**
 * The staffing gaps of the police districts in the caller's scope (and under `under`): their active officers
 * with the count of their active auxiliaries, and the active police assistants of the district and its villages.
 */
export async function staffingGapsReport(
  db: Queryable,
  who: Principal,
  filter: { under?: string },
  timeZone: string,
): Promise<StaffingGap[]> {
  const params = new Params();
  const where = [`pd.kind = 'police_district'`, placeInScope(who, 'pd.id', params)];
  if (filter.under) where.push(`pd.ancestors @> ARRAY[${params.p(filter.under)}::uuid]`);
  const { rows: districts } = await db.query<{ id: string; name: string }>(
    `SELECT pd.id, pd.name FROM districts pd WHERE ${where.map((w) => `(${w})`).join(' AND ')} ORDER BY pd.code`,
    params.values,
  );
  const ids = districts.map((d) => d.id);
  const { rows: officers } = await db.query<{ id: string; name: string; district_id: string; n: number }>(
    `SELECT o.id, o.name, o.district_id,
            (SELECT count(*) FROM staff a
              WHERE a.supervisor_id = o.id AND a.active AND a.role = 'auxiliary_police') AS n
       FROM staff o
      WHERE o.district_id = ANY($1::uuid[]) AND o.role = 'community_officer' AND o.active
      ORDER BY o.name, o.id`,
    [ids],
  );
  const { rows: assistants } = await db.query<{
    id: string;
    name: string;
    birth_date: string | null;
    pd: string;
  }>(
    `SELECT a.id, a.name, a.birth_date, pd.id AS pd
       FROM staff a JOIN districts ad ON ad.id = a.district_id
       JOIN districts pd ON pd.id = ANY($1::uuid[]) AND ad.ancestors @> ARRAY[pd.id]
      WHERE a.role = 'police_assistant' AND a.active
      ORDER BY a.name, a.id`,
    [ids],
  );
  const staffing: DistrictStaffing[] = districts.map((d) => ({
    districtId: d.id,
    districtName: d.name,
    officers: officers
      .filter((o) => o.district_id === d.id)
      .map((o) => ({ id: o.id, name: o.name, auxiliaries: o.n })),
    assistants: assistants
      .filter((a) => a.pd === d.id)
      .map((a) => ({ id: a.id, name: a.name, birthDate: a.birth_date })),
  }));
  return staffingGaps(staffing, localDate(new Date(), timeZone));
}
