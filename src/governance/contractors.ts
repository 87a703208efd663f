import { audit } from '../audit.js';
import type { Principal } from '../auth/policy.js';
import { contractorInScope } from '../auth/scope.js';
import { type Db, type Queryable, withTransaction } from '../db.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { likePattern, listPage, type Page, Params } from '../sql.js';
import { definedOnly } from './districts.js';

export interface Contractor {
  id: string;
  name: string;
  contactName: string | null;
  phone: string | null;
  createdAt: Date;
  updatedAt: Date;
}

interface ContractorRow {
  id: string;
  name: string;
  contact_name: string | null;
  phone: string | null;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = 'c.id, c.name, c.contact_name, c.phone, c.created_at, c.updated_at';

const toContractor = (r: ContractorRow): Contractor => ({
  id: r.id,
  name: r.name,
  contactName: r.contact_name,
  phone: r.phone,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export async function listContractors(db: Queryable, who: Principal, filter: { q?: string }, page: Page) {
  const params = new Params();
  const where = [contractorInScope(who, 'c.id', params)];
  if (filter.q) where.push(`c.name ILIKE ${params.p(likePattern(filter.q))}`);
  return listPage<ContractorRow, Contractor>(db, {
    select: COLUMNS,
    from: 'contractors c',
    where,
    orderBy: 'c.name',
    params,
    page,
    map: toContractor,
  });
}

export async function getContractor(db: Queryable, who: Principal, id: string): Promise<Contractor> {
  const params = new Params();
  const { rows } = await db.query<ContractorRow>(
    `SELECT ${COLUMNS} FROM contractors c WHERE c.id = ${params.p(id)} AND ${contractorInScope(who, 'c.id', params)}`,
    params.values,
  );
  if (!rows[0]) throw new NotFoundError('contractor', id);
  return toContractor(rows[0]);
}

export interface ContractorInput {
  name: string;
  contactName?: string | null;
  phone?: string | null;
}

export async function createContractor(db: Db, who: Principal, input: ContractorInput): Promise<Contractor> {
  return withTransaction(db, async (tx) => {
    await assertNameFree(tx, input.name, null);
    const { rows } = await tx.query<ContractorRow>(
      `INSERT INTO contractors AS c (name, contact_name, phone) VALUES ($1, $2, $3) RETURNING ${COLUMNS}`,
      [input.name, input.contactName ?? null, input.phone ?? null],
    );
    const created = toContractor(rows[0] as ContractorRow);
    await audit(tx, who, 'create', 'contractor', created.id, { name: created.name });
    return created;
  });
}

export async function updateContractor(
  db: Db,
  who: Principal,
  id: string,
  patch: Partial<ContractorInput>,
): Promise<Contractor> {
  return withTransaction(db, async (tx) => {
    const current = await getContractor(tx, who, id);
    if (patch.name !== undefined) await assertNameFree(tx, patch.name, id);
    const next = { ...current, ...definedOnly(patch) };
    const { rows } = await tx.query<ContractorRow>(
      `UPDATE contractors AS c SET name = $2, contact_name = $3, phone = $4 WHERE id = $1 RETURNING ${COLUMNS}`,
      [id, next.name, next.contactName, next.phone],
    );
    await audit(tx, who, 'update', 'contractor', id, { fields: Object.keys(definedOnly(patch)) });
    return toContractor(rows[0] as ContractorRow);
  });
}

export async function deleteContractor(db: Db, who: Principal, id: string): Promise<void> {
  await withTransaction(db, async (tx) => {
    await getContractor(tx, who, id);
    const { rows } = await tx.query<{ n: number }>(
      'SELECT count(*) AS n FROM contracts WHERE contractor_id = $1',
      [id],
    );
    if ((rows[0]?.n ?? 0) > 0) throw new ConflictError(`contractor ${id} still has ${rows[0]?.n} contracts`);
    await tx.query('DELETE FROM contractors WHERE id = $1', [id]);
    await audit(tx, who, 'delete', 'contractor', id);
  });
}

async function assertNameFree(db: Queryable, name: string, exceptId: string | null): Promise<void> {
  const { rows } = await db.query('SELECT 1 FROM contractors WHERE name = $1 AND id IS DISTINCT FROM $2', [
    name,
    exceptId,
  ]);
  if (rows.length > 0) throw new ConflictError(`a contractor named '${name}' exists`, 'name');
}
