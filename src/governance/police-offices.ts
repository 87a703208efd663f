import { audit } from '../audit.js';
import type { Principal } from '../auth/policy.js';
import { placeInScope } from '../auth/scope.js';
import { type Db, type Queryable, withTransaction } from '../db.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { likePattern, listPage, type Page, Params } from '../sql.js';
import { definedOnly, requireNode } from './districts.js';

/** The office (警务室) of a police district: one per police district. */
export interface PoliceOffice {
  id: string;
  districtId: string;
  name: string;
  address: string | null;
  phone: string | null;
  establishedYear: number | null;
  createdAt: Date;
  updatedAt: Date;
}

interface PoliceOfficeRow {
  id: string;
  district_id: string;
  name: string;
  address: string | null;
  phone: string | null;
  established_year: number | null;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS =
  'o.id, o.district_id, o.name, o.address, o.phone, o.established_year, o.created_at, o.updated_at';

function toPoliceOffice(r: PoliceOfficeRow): PoliceOffice {
  return {
    id: r.id,
    districtId: r.district_id,
    name: r.name,
    address: r.address,
    phone: r.phone,
    establishedYear: r.established_year,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export interface PoliceOfficeFilter {
  /** offices of the police districts in the subtree of this node */
  under?: string;
  q?: string;
}

export async function listPoliceOffices(
  db: Queryable,
  who: Principal,
  filter: PoliceOfficeFilter,
  page: Page,
) {
  const params = new Params();
  const where = [placeInScope(who, 'o.district_id', params)];
  if (filter.under) where.push(`od.ancestors @> ARRAY[${params.p(filter.under)}::uuid]`);
  if (filter.q) {
    const like = params.p(likePattern(filter.q));
    where.push(`(o.name ILIKE ${like} OR o.address ILIKE ${like})`);
  }
  return listPage<PoliceOfficeRow, PoliceOffice>(db, {
    select: COLUMNS,
    from: 'police_offices o JOIN districts od ON od.id = o.district_id',
    where,
    orderBy: 'od.code, o.id',
    params,
    page,
    map: toPoliceOffice,
  });
}

export async function getPoliceOffice(db: Queryable, who: Principal, id: string): Promise<PoliceOffice> {
  const params = new Params();
  const { rows } = await db.query<PoliceOfficeRow>(
    `SELECT ${COLUMNS} FROM police_offices o
      WHERE o.id = ${params.p(id)} AND ${placeInScope(who, 'o.district_id', params)}`,
    params.values,
  );
  const row = rows[0];
  if (!row) throw new NotFoundError('police office', id);
  return toPoliceOffice(row);
}

export interface PoliceOfficeInput {
  districtId: string;
  name: string;
  address?: string | null;
  phone?: string | null;
  establishedYear?: number | null;
}

/** The district must be a police district in scope, and not have an office yet (409 naming districtId). */
async function checkDistrict(tx: Queryable, who: Principal, districtId: string, officeId: string | null) {
  await requireNode(tx, who, 'districtId', districtId, ['police_district']);
  const { rows } = await tx.query<{ id: string }>(
    'SELECT id FROM police_offices WHERE district_id = $1 AND id IS DISTINCT FROM $2',
    [districtId, officeId],
  );
  if (rows[0]) {
    throw new ConflictError(
      `police district ${districtId} already has police office ${rows[0].id}`,
      'districtId',
    );
  }
}

export async function createPoliceOffice(
  db: Db,
  who: Principal,
  input: PoliceOfficeInput,
): Promise<PoliceOffice> {
  return withTransaction(db, async (tx) => {
    await checkDistrict(tx, who, input.districtId, null);
    const { rows } = await tx.query<PoliceOfficeRow>(
      `INSERT INTO police_offices AS o (district_id, name, address, phone, established_year)
       VALUES ($1, $2, $3, $4, $5) RETURNING ${COLUMNS}`,
      [
        input.districtId,
        input.name,
        input.address ?? null,
        input.phone ?? null,
        input.establishedYear ?? null,
      ],
    );
    const created = toPoliceOffice(rows[0] as PoliceOfficeRow);
    await audit(tx, who, 'create', 'police_office', created.id, {
      name: created.name,
      districtId: created.districtId,
    });
    return created;
  });
}

export type PoliceOfficePatch = Partial<PoliceOfficeInput>;

export async function updatePoliceOffice(
  db: Db,
  who: Principal,
  id: string,
  patch: PoliceOfficePatch,
): Promise<PoliceOffice> {
  return withTransaction(db, async (tx) => {
    const current = await getPoliceOffice(tx, who, id);
    const changes = definedOnly(patch);
    if (changes.districtId !== undefined && changes.districtId !== current.districtId) {
      await checkDistrict(tx, who, changes.districtId, id);
    }
    const next = { ...current, ...changes };
    const { rows } = await tx.query<PoliceOfficeRow>(
      `UPDATE police_offices AS o SET district_id = $2, name = $3, address = $4, phone = $5, established_year = $6
        WHERE id = $1 RETURNING ${COLUMNS}`,
      [id, next.districtId, next.name, next.address, next.phone, next.establishedYear],
    );
    await audit(tx, who, 'update', 'police_office', id, { fields: Object.keys(changes) });
    return toPoliceOffice(rows[0] as PoliceOfficeRow);
  });
}

export async function deletePoliceOffice(db: Db, who: Principal, id: string): Promise<void> {
  await withTransaction(db, async (tx) => {
    await getPoliceOffice(tx, who, id);
    await tx.query('DELETE FROM police_offices WHERE id = $1', [id]);
    await audit(tx, who, 'delete', 'police_office', id);
  });
}
