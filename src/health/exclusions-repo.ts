import { audit } from '../audit.js';
import type { Principal } from '../auth/policy.js';
import { placeInScope } from '../auth/scope.js';
import { type Db, type Queryable, withTransaction } from '../db.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { listPage, type Page, Params } from '../sql.js';
import { invalidateDays } from './rollup-repo.js';

/**
 * Approved maintenance windows and external-cause outages (power cut, carrier link), on a camera or a node of
 * the tree: requested, then approved or rejected by the bureau; only approved ones leave the figures, and the
 * approval (who, when, the evidence) stays with them.
 */
export interface AvailabilityExclusion {
  id: string;
  kind: 'maintenance' | 'external_cause';
  cameraId: string | null;
  districtId: string | null;
  from: Date;
  to: Date;
  reason: string;
  evidence: string | null;
  status: 'requested' | 'approved' | 'rejected';
  requestedBy: string | null;
  decidedBy: string | null;
  decidedAt: Date | null;
  createdAt: Date;
}

const COLUMNS = `x.id, x.kind, x.camera_id AS "cameraId", x.district_id AS "districtId", x.from_at AS "from",
  x.to_at AS "to", x.reason, x.evidence, x.status, x.requested_by AS "requestedBy", x.decided_by AS "decidedBy",
  x.decided_at AS "decidedAt", x.created_at AS "createdAt"`;

/** The node an exclusion is placed on, for scope checks: its district, or its camera's site. */
const PLACE = 'COALESCE(x.district_id, (SELECT c.site_id FROM cameras c WHERE c.id = x.camera_id))';

export async function listExclusions(
  db: Queryable,
  who: Principal,
  filter: { status?: AvailabilityExclusion['status']; kind?: AvailabilityExclusion['kind'] },
  page: Page,
) {
  const params = new Params();
  const where = [placeInScope(who, PLACE, params)];
  if (filter.status) where.push(`x.status = ${params.p(filter.status)}`);
  if (filter.kind) where.push(`x.kind = ${params.p(filter.kind)}`);
  return listPage<AvailabilityExclusion, AvailabilityExclusion>(db, {
    select: COLUMNS,
    from: 'availability_exclusions x',
    where,
    orderBy: 'x.from_at DESC',
    params,
    page,
    map: (r) => r,
  });
}

async function getExclusion(db: Queryable, who: Principal, id: string): Promise<AvailabilityExclusion> {
  const params = new Params();
  const { rows } = await db.query<AvailabilityExclusion>(
    `SELECT ${COLUMNS} FROM availability_exclusions x WHERE x.id = ${params.p(id)} AND ${placeInScope(who, PLACE, params)}`,
    params.values,
  );
  if (!rows[0]) throw new NotFoundError('availability exclusion', id);
  return rows[0];
}

export interface ExclusionInput {
  kind: AvailabilityExclusion['kind'];
  cameraId?: string;
  districtId?: string;
  from: string;
  to: string;
  reason: string;
  evidence?: string | null;
}

export async function requestExclusion(
  db: Db,
  who: Principal,
  input: ExclusionInput,
): Promise<AvailabilityExclusion> {
  if (Boolean(input.cameraId) === Boolean(input.districtId)) {
    throw new ValidationError('cameraId', 'name exactly one of cameraId and districtId');
  }
  if (new Date(input.to) <= new Date(input.from)) throw new ValidationError('to', 'must be after from');
  return withTransaction(db, async (tx) => {
    const field = input.cameraId ? 'cameraId' : 'districtId';
    const params = new Params();
    const target = input.cameraId
      ? `SELECT 1 FROM cameras c WHERE c.id = ${params.p(input.cameraId)} AND ${placeInScope(who, 'c.site_id', params)}`
      : `SELECT 1 FROM districts d WHERE d.id = ${params.p(input.districtId)} AND ${placeInScope(who, 'd.id', params)}`;
    if ((await tx.query(target, params.values)).rows.length === 0) {
      throw new ValidationError(
        field,
        `no ${field === 'cameraId' ? 'camera' : 'district'} ${input.cameraId ?? input.districtId}`,
      );
    }
    const { rows } = await tx.query<{ id: string }>(
      `INSERT INTO availability_exclusions (kind, camera_id, district_id, from_at, to_at, reason, evidence, requested_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
      [
        input.kind,
        input.cameraId ?? null,
        input.districtId ?? null,
        input.from,
        input.to,
        input.reason,
        input.evidence ?? null,
        who.userId,
      ],
    );
    const id = (rows[0] as { id: string }).id;
    await audit(tx, who, 'request', 'availability_exclusion', id, { kind: input.kind });
    return getExclusion(tx, who, id);
  });
}

export async function decideExclusion(
  db: Db,
  who: Principal,
  id: string,
  decision: 'approved' | 'rejected',
): Promise<AvailabilityExclusion> {
  return withTransaction(db, async (tx) => {
    const current = await getExclusion(tx, who, id);
    if (current.status !== 'requested')
      throw new ConflictError(`exclusion ${id} is already ${current.status}`);
    await tx.query(
      'UPDATE availability_exclusions SET status = $2, decided_by = $3, decided_at = now() WHERE id = $1',
      [id, decision, who.userId],
    );
    await audit(tx, who, decision === 'approved' ? 'approve' : 'reject', 'availability_exclusion', id);
    // days already rolled up under this window are recomputed with the exclusion
    if (decision === 'approved') {
      await invalidateDays(tx, current.cameraId ?? null, new Date(current.from), new Date(current.to));
    }
    return getExclusion(tx, who, id);
  });
}
