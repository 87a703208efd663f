import { audit } from '../audit.js';
import type { Principal } from '../auth/policy.js';
import { cameraInScope, placeInScope } from '../auth/scope.js';
import { type Db, type Queryable, withTransaction } from '../db.js';
import { NotFoundError, ValidationError } from '../errors.js';
import { likePattern, listPage, type Page, Params } from '../sql.js';
import { definedOnly, requireNode } from './districts.js';
import {
  type IncidentStatus,
  type IncidentType,
  isOverdue,
  reportDueAt,
  wasReportedLate,
} from './incident-rules.js';

export interface Incident {
  id: string;
  type: IncidentType;
  title: string;
  description: string | null;
  occurredAt: Date;
  districtId: string;
  cameraIds: string[];
  reportedByStaffId: string | null;
  status: IncidentStatus;
  reportDueAt: Date | null;
  reportedAt: Date | null;
  /** due, not reported, and past the deadline now */
  overdue: boolean;
  reportedLate: boolean;
  createdAt: Date;
  updatedAt: Date;
}

interface IncidentRow {
  id: string;
  type: IncidentType;
  title: string;
  description: string | null;
  occurred_at: Date;
  district_id: string;
  camera_ids: string[];
  reported_by_staff_id: string | null;
  status: IncidentStatus;
  report_due_at: Date | null;
  reported_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = `i.id, i.type, i.title, i.description, i.occurred_at, i.district_id,
  ARRAY(SELECT ic.camera_id FROM incident_cameras ic WHERE ic.incident_id = i.id ORDER BY ic.camera_id) AS camera_ids,
  i.reported_by_staff_id, i.status, i.report_due_at, i.reported_at, i.created_at, i.updated_at`;

/** Places an incident may be recorded at: a police district or anything below it. */
const INCIDENT_PLACES = ['police_district', 'village', 'community', 'site'] as const;

function toIncident(r: IncidentRow, now: Date): Incident {
  const clock = { dueAt: r.report_due_at, reportedAt: r.reported_at };
  return {
    id: r.id,
    type: r.type,
    title: r.title,
    description: r.description,
    occurredAt: r.occurred_at,
    districtId: r.district_id,
    cameraIds: r.camera_ids,
    reportedByStaffId: r.reported_by_staff_id,
    status: r.status,
    reportDueAt: r.report_due_at,
    reportedAt: r.reported_at,
    overdue: isOverdue(clock, now),
    reportedLate: wasReportedLate(clock),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export interface IncidentFilter {
  under?: string;
  type?: IncidentType;
  status?: IncidentStatus;
  overdue?: boolean;
  /** occurredAt >= from */
  from?: string;
  /** occurredAt < to */
  to?: string;
  q?: string;
}

export async function listIncidents(db: Queryable, who: Principal, filter: IncidentFilter, page: Page) {
  const now = new Date();
  const params = new Params();
  const where = [placeInScope(who, 'i.district_id', params)];
  if (filter.under) where.push(`idd.ancestors @> ARRAY[${params.p(filter.under)}::uuid]`);
  if (filter.type) where.push(`i.type = ${params.p(filter.type)}`);
  if (filter.status) where.push(`i.status = ${params.p(filter.status)}`);
  if (filter.overdue !== undefined) {
    const overdue = `i.report_due_at IS NOT NULL AND i.reported_at IS NULL AND i.report_due_at < ${params.p(now)}`;
    where.push(filter.overdue ? overdue : `NOT (${overdue})`);
  }
  if (filter.from) where.push(`i.occurred_at >= ${params.p(filter.from)}`);
  if (filter.to) where.push(`i.occurred_at < ${params.p(filter.to)}`);
  if (filter.q) where.push(`i.title ILIKE ${params.p(likePattern(filter.q))}`);
  return listPage<IncidentRow, Incident>(db, {
    select: COLUMNS,
    from: 'incidents i JOIN districts idd ON idd.id = i.district_id',
    where,
    orderBy: 'i.occurred_at DESC, i.id',
    params,
    page,
    map: (r) => toIncident(r, now),
  });
}

async function incidentRow(db: Queryable, who: Principal, id: string): Promise<IncidentRow> {
  const params = new Params();
  const { rows } = await db.query<IncidentRow>(
    `SELECT ${COLUMNS} FROM incidents i
      WHERE i.id = ${params.p(id)} AND ${placeInScope(who, 'i.district_id', params)}`,
    params.values,
  );
  if (!rows[0]) throw new NotFoundError('incident', id);
  return rows[0];
}

export async function getIncident(db: Queryable, who: Principal, id: string): Promise<Incident> {
  return toIncident(await incidentRow(db, who, id), new Date());
}

export interface IncidentInput {
  type: IncidentType;
  title: string;
  description?: string | null;
  occurredAt: string | Date;
  districtId: string;
  cameraIds?: string[];
  reportedByStaffId?: string | null;
  status?: IncidentStatus;
  reportedAt?: string | Date | null;
}

interface IncidentState {
  type: IncidentType;
  title: string;
  description: string | null;
  occurredAt: Date;
  districtId: string;
  reportedByStaffId: string | null;
  status: IncidentStatus;
  reportedAt: Date | null;
}

/** The stored fields in column order: type … reported_at. */
function stateValues(s: IncidentState): unknown[] {
  const { type, title, description, occurredAt, districtId, reportedByStaffId, status, reportedAt } = s;
  return [type, title, description, occurredAt, districtId, reportedByStaffId, status, reportedAt];
}

function asDate(value: string | Date | null): Date | null {
  return value === null ? null : new Date(value);
}

/** What the stored incident must satisfy; checked after a create or patch is merged. */
async function checkIncident(tx: Queryable, who: Principal, s: IncidentState, now: Date): Promise<void> {
  if (s.occurredAt > now) throw new ValidationError('occurredAt', 'is in the future');
  await requireNode(tx, who, 'districtId', s.districtId, INCIDENT_PLACES);
  if (s.reportedByStaffId !== null) {
    const params = new Params();
    const { rows } = await tx.query(
      `SELECT 1 FROM staff s WHERE s.id = ${params.p(s.reportedByStaffId)}
          AND ${placeInScope(who, 's.district_id', params)}`,
      params.values,
    );
    if (rows.length === 0) throw new ValidationError('reportedByStaffId', `no staff ${s.reportedByStaffId}`);
  }
  if (s.reportedAt !== null) {
    if (s.status === 'open')
      throw new ValidationError('reportedAt', 'an open incident has not been reported');
    if (s.reportedAt > now) throw new ValidationError('reportedAt', 'is in the future');
    if (s.reportedAt < s.occurredAt) throw new ValidationError('reportedAt', 'is before occurredAt');
  }
}

/** Each camera must exist and be in the caller's scope: 400 naming `cameraIds.N` otherwise. */
async function checkCameras(tx: Queryable, who: Principal, cameraIds: string[], timeZone: string) {
  if (cameraIds.length === 0) return;
  const params = new Params();
  const { rows } = await tx.query<{ id: string }>(
    `SELECT c.id FROM cameras c
      WHERE c.id = ANY(${params.p(cameraIds)}::uuid[]) AND ${cameraInScope(who, 'c.site_id', params, timeZone)}`,
    params.values,
  );
  const found = new Set(rows.map((r) => r.id));
  cameraIds.forEach((id, n) => {
    if (!found.has(id)) throw new ValidationError(`cameraIds.${n}`, `no camera ${id}`);
  });
}

async function setCameras(tx: Queryable, incidentId: string, cameraIds: string[]) {
  await tx.query('DELETE FROM incident_cameras WHERE incident_id = $1', [incidentId]);
  await tx.query(
    'INSERT INTO incident_cameras (incident_id, camera_id) SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING',
    [incidentId, cameraIds],
  );
}

export async function createIncident(
  db: Db,
  who: Principal,
  input: IncidentInput,
  timeZone: string,
): Promise<Incident> {
  const now = new Date();
  const status = input.status ?? 'open';
  const s: IncidentState = {
    type: input.type,
    title: input.title,
    description: input.description ?? null,
    occurredAt: new Date(input.occurredAt),
    districtId: input.districtId,
    reportedByStaffId: input.reportedByStaffId ?? null,
    status,
    reportedAt: asDate(input.reportedAt ?? (status === 'reported' ? now : null)),
  };
  const cameraIds = input.cameraIds ?? [];
  return withTransaction(db, async (tx) => {
    await checkIncident(tx, who, s, now);
    await checkCameras(tx, who, cameraIds, timeZone);
    const { rows } = await tx.query<{ id: string }>(
      `INSERT INTO incidents (type, title, description, occurred_at, district_id, reported_by_staff_id, status,
                              reported_at, report_due_at, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, (SELECT id FROM users WHERE id = $10)) RETURNING id`,
      [...stateValues(s), reportDueAt(s.type, s.occurredAt), who.userId],
    );
    const id = (rows[0] as { id: string }).id;
    await setCameras(tx, id, cameraIds);
    await audit(tx, who, 'create', 'incident', id, { type: s.type, districtId: s.districtId });
    return toIncident(await incidentRow(tx, who, id), now);
  });
}

export type IncidentPatch = Partial<IncidentInput>;

export async function updateIncident(
  db: Db,
  who: Principal,
  id: string,
  patch: IncidentPatch,
  timeZone: string,
): Promise<Incident> {
  const now = new Date();
  return withTransaction(db, async (tx) => {
    const current = await incidentRow(tx, who, id);
    const changes = definedOnly(patch);
    const status = changes.status ?? current.status;
    let reportedAt = changes.reportedAt !== undefined ? asDate(changes.reportedAt) : current.reported_at;
    // reopening takes the report back; reporting without a time means now
    if (changes.status === 'open' && changes.reportedAt === undefined) reportedAt = null;
    if (status === 'reported' && reportedAt === null) reportedAt = now;
    const s: IncidentState = {
      type: changes.type ?? current.type,
      title: changes.title ?? current.title,
      description: changes.description !== undefined ? changes.description : current.description,
      occurredAt: changes.occurredAt !== undefined ? new Date(changes.occurredAt) : current.occurred_at,
      districtId: changes.districtId ?? current.district_id,
      reportedByStaffId:
        changes.reportedByStaffId !== undefined ? changes.reportedByStaffId : current.reported_by_staff_id,
      status,
      reportedAt,
    };
    await checkIncident(tx, who, s, now);
    if (changes.cameraIds) await checkCameras(tx, who, changes.cameraIds, timeZone);
    const dueAt =
      changes.type !== undefined || changes.occurredAt !== undefined
        ? reportDueAt(s.type, s.occurredAt)
        : current.report_due_at;
    await tx.query(
      `UPDATE incidents SET type = $1, title = $2, description = $3, occurred_at = $4, district_id = $5,
              reported_by_staff_id = $6, status = $7, reported_at = $8, report_due_at = $9
        WHERE id = $10`,
      [...stateValues(s), dueAt, id],
    );
    if (changes.cameraIds) await setCameras(tx, id, changes.cameraIds);
    await audit(tx, who, 'update', 'incident', id, { fields: Object.keys(changes) });
    return toIncident(await incidentRow(tx, who, id), now);
  });
}

export async function deleteIncident(db: Db, who: Principal, id: string): Promise<void> {
  await withTransaction(db, async (tx) => {
    await incidentRow(tx, who, id);
    await tx.query('DELETE FROM incident_cameras WHERE incident_id = $1', [id]);
    await tx.query('DELETE FROM incidents WHERE id = $1', [id]);
    await audit(tx, who, 'delete', 'incident', id);
  });
}
