import { audit } from '../audit.js';
import type { Principal } from '../auth/policy.js';
import { placeInScope } from '../auth/scope.js';
import { type Db, type Queryable, withTransaction } from '../db.js';
import { expandCidrs } from '../discovery/cidr.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { invalidateDays } from '../health/rollup-repo.js';
import { likePattern, listPage, type Page, Params } from '../sql.js';
import { type DistrictKind, parentProblem } from './tree-rules.js';

export interface District {
  id: string;
  kind: DistrictKind;
  name: string;
  code: string;
  parentId: string | null;
  /** ids from the county down to this node, itself included */
  ancestorIds: string[];
  lat: number | null;
  lon: number | null;
  /** the address ranges of this node's network, scanned by unicast discovery */
  networkCidrs: string[];
  createdAt: Date;
  updatedAt: Date;
}

interface DistrictRow {
  id: string;
  kind: DistrictKind;
  name: string;
  code: string;
  parent_id: string | null;
  ancestors: string[];
  lat: number | null;
  lon: number | null;
  network_cidrs: string[];
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = `d.id, d.kind, d.name, d.code, d.parent_id, d.ancestors, d.lat, d.lon,
  d.network_cidrs::text[] AS network_cidrs, d.created_at, d.updated_at`;

function toDistrict(r: DistrictRow): District {
  return {
    id: r.id,
    kind: r.kind,
    name: r.name,
    code: r.code,
    parentId: r.parent_id,
    ancestorIds: r.ancestors,
    lat: r.lat,
    lon: r.lon,
    networkCidrs: r.network_cidrs,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export interface DistrictFilter {
  /** the subtree of this node, itself included */
  under?: string;
  parentId?: string;
  kind?: DistrictKind;
  q?: string;
}

export async function listDistricts(db: Queryable, who: Principal, filter: DistrictFilter, page: Page) {
  const params = new Params();
  const where = [placeInScope(who, 'd.id', params)];
  if (filter.under) where.push(`d.ancestors @> ARRAY[${params.p(filter.under)}::uuid]`);
  if (filter.parentId) where.push(`d.parent_id = ${params.p(filter.parentId)}`);
  if (filter.kind) where.push(`d.kind = ${params.p(filter.kind)}`);
  if (filter.q) {
    const like = params.p(likePattern(filter.q));
    where.push(`(d.name ILIKE ${like} OR d.code ILIKE ${like})`);
  }
  return listPage<DistrictRow, District>(db, {
    select: COLUMNS,
    from: 'districts d',
    where,
    orderBy: 'cardinality(d.ancestors), d.code',
    params,
    page,
    map: toDistrict,
  });
}

export async function getDistrict(db: Queryable, who: Principal, id: string): Promise<District> {
  const params = new Params();
  const { rows } = await db.query<DistrictRow>(
    `SELECT ${COLUMNS} FROM districts d WHERE d.id = ${params.p(id)} AND ${placeInScope(who, 'd.id', params)}`,
    params.values,
  );
  const row = rows[0];
  if (!row) throw new NotFoundError('district', id);
  return toDistrict(row);
}

/** A node that another object refers to, checked to exist (and to be of a usable kind) — 400 naming the field. */
export async function requireNode(
  db: Queryable,
  who: Principal,
  field: string,
  id: string,
  kinds: readonly DistrictKind[],
): Promise<District> {
  let node: District;
  try {
    node = await getDistrict(db, who, id);
  } catch (err) {
    if (err instanceof NotFoundError) throw new ValidationError(field, `no district ${id}`);
    throw err;
  }
  if (!kinds.includes(node.kind)) {
    throw new ValidationError(field, `must be a ${kinds.join(' or ')}, ${id} is a ${node.kind}`);
  }
  return node;
}

export interface DistrictInput {
  kind: DistrictKind;
  name: string;
  code: string;
  parentId?: string | null;
  lat?: number | null;
  lon?: number | null;
  networkCidrs?: string[];
}

function checkCidrs(cidrs: readonly string[] | undefined): void {
  if (!cidrs) return;
  const expanded = expandCidrs(cidrs);
  if (!expanded.ok) throw new ValidationError(`networkCidrs.${expanded.index}`, expanded.reason);
}

async function checkParent(db: Queryable, kind: DistrictKind, parentId: string | null): Promise<void> {
  let parentKind: DistrictKind | null = null;
  if (parentId) {
    const { rows } = await db.query<{ kind: DistrictKind }>('SELECT kind FROM districts WHERE id = $1', [
      parentId,
    ]);
    if (!rows[0]) throw new ValidationError('parentId', `no district ${parentId}`);
    parentKind = rows[0].kind;
  }
  const problem = parentProblem(kind, parentKind);
  if (problem) throw new ValidationError('parentId', problem);
}

export async function createDistrict(db: Db, who: Principal, input: DistrictInput): Promise<District> {
  checkCidrs(input.networkCidrs);
  return withTransaction(db, async (tx) => {
    await checkParent(tx, input.kind, input.parentId ?? null);
    if (input.kind === 'county') {
      const { rows } = await tx.query('SELECT id FROM districts WHERE kind = $1', ['county']);
      if (rows.length > 0) throw new ConflictError('districts: the tree already has its county', 'kind');
    }
    const { rows } = await tx.query<DistrictRow>(
      `INSERT INTO districts AS d (kind, name, code, parent_id, lat, lon, network_cidrs)
       VALUES ($1, $2, $3, $4, $5, $6, $7::cidr[]) RETURNING ${COLUMNS}`,
      [
        input.kind,
        input.name,
        input.code,
        input.parentId ?? null,
        input.lat ?? null,
        input.lon ?? null,
        input.networkCidrs ?? [],
      ],
    );
    const created = toDistrict(rows[0] as DistrictRow);
    await audit(tx, who, 'create', 'district', created.id, { name: created.name, code: created.code });
    return created;
  });
}

export type DistrictPatch = Partial<Omit<DistrictInput, 'kind'>>;

export async function updateDistrict(
  db: Db,
  who: Principal,
  id: string,
  patch: DistrictPatch,
): Promise<District> {
  checkCidrs(patch.networkCidrs);
  return withTransaction(db, async (tx) => {
    const current = await getDistrict(tx, who, id);
    if (patch.parentId !== undefined && patch.parentId !== current.parentId) {
      await checkParent(tx, current.kind, patch.parentId);
      if (patch.parentId && (await isInSubtree(tx, patch.parentId, id))) {
        throw new ValidationError('parentId', 'a node cannot move under its own subtree');
      }
    }
    const next = { ...current, ...definedOnly(patch) };
    const { rows } = await tx.query<DistrictRow>(
      `UPDATE districts AS d SET name = $2, code = $3, parent_id = $4, lat = $5, lon = $6, network_cidrs = $7::cidr[]
        WHERE id = $1 RETURNING ${COLUMNS}`,
      [id, next.name, next.code, next.parentId, next.lat, next.lon, next.networkCidrs],
    );
    if (next.parentId !== current.parentId) {
      // a moved subtree's cameras count under their new ancestors on every day: all rolled-up days are redone
      await invalidateDays(tx, null, '1970-01-01', new Date());
    }
    await audit(tx, who, 'update', 'district', id, { fields: Object.keys(definedOnly(patch)) });
    return toDistrict(rows[0] as DistrictRow);
  });
}

async function isInSubtree(db: Queryable, nodeId: string, rootId: string): Promise<boolean> {
  const { rows } = await db.query('SELECT 1 FROM districts WHERE id = $1 AND ancestors @> ARRAY[$2::uuid]', [
    nodeId,
    rootId,
  ]);
  return rows.length > 0;
}

export async function deleteDistrict(db: Db, who: Principal, id: string): Promise<void> {
  await withTransaction(db, async (tx) => {
    await getDistrict(tx, who, id);
    const { rows } = await tx.query<{ n: number }>(
      'SELECT count(*) AS n FROM districts WHERE parent_id = $1',
      [id],
    );
    if ((rows[0]?.n ?? 0) > 0) throw new ConflictError(`district ${id} still has ${rows[0]?.n} child nodes`);
    await tx.query('DELETE FROM districts WHERE id = $1', [id]);
    await audit(tx, who, 'delete', 'district', id);
  });
}

export function definedOnly<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<T>;
}
