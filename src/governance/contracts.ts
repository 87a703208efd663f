import { audit } from '../audit.js';
import type { Principal } from '../auth/policy.js';
import { contractorInScope } from '../auth/scope.js';
import { type Db, type DbClient, type Queryable, withTransaction } from '../db.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { listPage, type Page, Params } from '../sql.js';
import { definedOnly } from './districts.js';

/**
 * Maintenance contracts: which nodes of the tree a contractor maintains, for which period, with the fault
 * threshold before a ticket opens and the SLA hours per place class. A camera's fault is attributed to the
 * most specific contract in force (county calendar) on the day it happened.
 */
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
  createdAt: Date;
  updatedAt: Date;
}

interface ContractRow {
  id: string;
  contractor_id: string;
  reference: string;
  valid_from: string;
  valid_to: string;
  fault_threshold_minutes: number;
  sla_hours_town_seat: number;
  sla_hours_village: number;
  area_ids: string[];
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = `k.id, k.contractor_id, k.reference, k.valid_from, k.valid_to, k.fault_threshold_minutes,
  k.sla_hours_town_seat, k.sla_hours_village, k.created_at, k.updated_at,
  ARRAY(SELECT ca.district_id FROM contract_areas ca WHERE ca.contract_id = k.id ORDER BY ca.district_id) AS area_ids`;

const toContract = (r: ContractRow): Contract => ({
  id: r.id,
  contractorId: r.contractor_id,
  reference: r.reference,
  validFrom: r.valid_from,
  validTo: r.valid_to,
  faultThresholdMinutes: r.fault_threshold_minutes,
  slaHoursTownSeat: r.sla_hours_town_seat,
  slaHoursVillage: r.sla_hours_village,
  areaIds: r.area_ids,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export interface ContractFilter {
  contractorId?: string;
  /** contracts in force on this calendar date */
  inForceOn?: string;
  /** contracts covering this node directly */
  areaId?: string;
}

export async function listContracts(db: Queryable, who: Principal, filter: ContractFilter, page: Page) {
  const params = new Params();
  const where = [contractorInScope(who, 'k.contractor_id', params)];
  if (filter.contractorId) where.push(`k.contractor_id = ${params.p(filter.contractorId)}`);
  if (filter.inForceOn) {
    const day = params.p(filter.inForceOn);
    where.push(`${day}::date BETWEEN k.valid_from AND k.valid_to`);
  }
  if (filter.areaId) {
    where.push(
      `EXISTS (SELECT 1 FROM contract_areas a WHERE a.contract_id = k.id AND a.district_id = ${params.p(filter.areaId)})`,
    );
  }
  return listPage<ContractRow, Contract>(db, {
    select: COLUMNS,
    from: 'contracts k',
    where,
    orderBy: 'k.valid_from DESC, k.reference',
    params,
    page,
    map: toContract,
  });
}

export async function getContract(db: Queryable, who: Principal, id: string): Promise<Contract> {
  const params = new Params();
  const { rows } = await db.query<ContractRow>(
    `SELECT ${COLUMNS} FROM contracts k WHERE k.id = ${params.p(id)} AND ${contractorInScope(who, 'k.contractor_id', params)}`,
    params.values,
  );
  if (!rows[0]) throw new NotFoundError('contract', id);
  return toContract(rows[0]);
}

export interface ContractInput {
  contractorId: string;
  reference: string;
  validFrom: string;
  validTo: string;
  faultThresholdMinutes?: number;
  slaHoursTownSeat?: number;
  slaHoursVillage?: number;
  areaIds: string[];
}

async function checkContract(tx: DbClient, c: Omit<ContractInput, 'reference'>, exceptId: string | null) {
  const { rows: contractor } = await tx.query('SELECT 1 FROM contractors WHERE id = $1', [c.contractorId]);
  if (contractor.length === 0) throw new ValidationError('contractorId', `no contractor ${c.contractorId}`);
  if (c.validTo < c.validFrom) throw new ValidationError('validTo', 'must not be before validFrom');
  const areas = [...new Set(c.areaIds)];
  if (areas.length !== c.areaIds.length) throw new ValidationError('areaIds', 'lists a node twice');
  const { rows: known } = await tx.query<{ id: string }>(
    'SELECT id FROM districts WHERE id = ANY($1::uuid[])',
    [areas],
  );
  const knownIds = new Set(known.map((r) => r.id));
  const missing = areas.findIndex((a) => !knownIds.has(a));
  if (missing >= 0) throw new ValidationError(`areaIds.${missing}`, `no district ${areas[missing]}`);
  // Two contracts maintaining the same node over overlapping periods would make attribution ambiguous.
  await tx.query('LOCK TABLE contract_areas IN SHARE ROW EXCLUSIVE MODE');
  const { rows: clash } = await tx.query<{ reference: string; district_id: string }>(
    `SELECT k.reference, a.district_id FROM contract_areas a JOIN contracts k ON k.id = a.contract_id
      WHERE a.district_id = ANY($1::uuid[]) AND k.id IS DISTINCT FROM $2
        AND k.valid_from <= $4::date AND k.valid_to >= $3::date LIMIT 1`,
    [areas, exceptId, c.validFrom, c.validTo],
  );
  if (clash[0]) {
    throw new ConflictError(
      `contract ${clash[0].reference} already maintains district ${clash[0].district_id} in that period`,
      'areaIds',
    );
  }
}

async function writeAreas(tx: DbClient, contractId: string, areaIds: string[]): Promise<void> {
  await tx.query('DELETE FROM contract_areas WHERE contract_id = $1', [contractId]);
  await tx.query('INSERT INTO contract_areas (contract_id, district_id) SELECT $1, unnest($2::uuid[])', [
    contractId,
    areaIds,
  ]);
}

export async function createContract(db: Db, who: Principal, input: ContractInput): Promise<Contract> {
  return withTransaction(db, async (tx) => {
    await checkContract(tx, input, null);
    const { rows: taken } = await tx.query('SELECT 1 FROM contracts WHERE reference = $1', [input.reference]);
    if (taken.length > 0)
      throw new ConflictError(`contract reference '${input.reference}' exists`, 'reference');
    const { rows } = await tx.query<{ id: string }>(
      `INSERT INTO contracts (contractor_id, reference, valid_from, valid_to, fault_threshold_minutes,
                              sla_hours_town_seat, sla_hours_village)
       VALUES ($1, $2, $3, $4, COALESCE($5, 30), COALESCE($6, 24), COALESCE($7, 48)) RETURNING id`,
      [
        input.contractorId,
        input.reference,
        input.validFrom,
        input.validTo,
        input.faultThresholdMinutes ?? null,
        input.slaHoursTownSeat ?? null,
        input.slaHoursVillage ?? null,
      ],
    );
    const id = (rows[0] as { id: string }).id;
    await writeAreas(tx, id, input.areaIds);
    await audit(tx, who, 'create', 'contract', id, {
      reference: input.reference,
      contractorId: input.contractorId,
    });
    return getContract(tx, who, id);
  });
}

export async function updateContract(
  db: Db,
  who: Principal,
  id: string,
  patch: Partial<Omit<ContractInput, 'contractorId' | 'reference'>>,
): Promise<Contract> {
  return withTransaction(db, async (tx) => {
    const current = await getContract(tx, who, id);
    const next = { ...current, ...definedOnly(patch) };
    await checkContract(tx, next, id);
    await tx.query(
      `UPDATE contracts SET valid_from = $2, valid_to = $3, fault_threshold_minutes = $4,
              sla_hours_town_seat = $5, sla_hours_village = $6 WHERE id = $1`,
      [
        id,
        next.validFrom,
        next.validTo,
        next.faultThresholdMinutes,
        next.slaHoursTownSeat,
        next.slaHoursVillage,
      ],
    );
    if (patch.areaIds) await writeAreas(tx, id, patch.areaIds);
    await audit(tx, who, 'update', 'contract', id, { fields: Object.keys(definedOnly(patch)) });
    return getContract(tx, who, id);
  });
}

export async function deleteContract(db: Db, who: Principal, id: string): Promise<void> {
  await withTransaction(db, async (tx) => {
    await getContract(tx, who, id);
    await tx.query('DELETE FROM contracts WHERE id = $1', [id]);
    await audit(tx, who, 'delete', 'contract', id);
  });
}

/**
 * The contract a camera's fault at `at` is attributed to: among the contracts in force on that local day whose
 * areas contain the camera's site, the one on the deepest node. Null when nobody maintains the camera then.
 */
export async function contractForCamera(
  db: Queryable,
  cameraId: string,
  at: Date,
  timeZone: string,
): Promise<{ contractId: string; contractorId: string } | null> {
  const { rows } = await db.query<{ contract_id: string; contractor_id: string }>(
    `SELECT k.id AS contract_id, k.contractor_id
       FROM cameras c
       JOIN districts site ON site.id = c.site_id
       JOIN contract_areas a ON site.ancestors @> ARRAY[a.district_id]
       JOIN contracts k ON k.id = a.contract_id
       JOIN districts area ON area.id = a.district_id
      WHERE c.id = $1 AND ($2::timestamptz AT TIME ZONE $3)::date BETWEEN k.valid_from AND k.valid_to
      ORDER BY cardinality(area.ancestors) DESC
      LIMIT 1`,
    [cameraId, at, timeZone],
  );
  const row = rows[0];
  return row ? { contractId: row.contract_id, contractorId: row.contractor_id } : null;
}
