import { hashPassword } from '../../src/auth/passwords.js';
import type { Role } from '../../src/auth/policy.js';
import type { Db } from '../../src/db.js';

/**
 * A small county with two branches, so every scope has something inside and something outside it:
 *
 *   county ─ town A ─ police district A1 ─ village A1v ─ site A1s ─ camera camA1
 *          │        └ police district A2 ─ village A2v ─ site A2s ─ camera camA2
 *          └ township B ─ police district B1 ─ village B1v ─ site B1s ─ camera camB1
 *
 * Contractor K1 maintains town A, contractor K2 township B. Each police district has an office, an officer
 * and an incident. Users: admin, bureau, dutyA1 (police district A1), dutyA (whole town A), contractorK1.
 */
export const PASSWORD = 'fixture-password-1';

export const NODES = [
  'county',
  'A',
  'A1',
  'A2',
  'B',
  'B1',
  'A1v',
  'A2v',
  'B1v',
  'A1s',
  'A2s',
  'B1s',
] as const;
export type NodeName = (typeof NODES)[number];
export const BRANCHES = ['A1', 'A2', 'B1'] as const;
export type Branch = (typeof BRANCHES)[number];

export interface CountyFixture {
  node: Record<NodeName, string>;
  camera: Record<Branch, string>;
  office: Record<Branch, string>;
  officer: Record<Branch, string>;
  incident: Record<Branch, string>;
  contractor: { K1: string; K2: string };
  contract: { K1: string; K2: string };
  user: Record<FixtureUser, string>;
}

export const FIXTURE_USERS = ['admin', 'bureau', 'dutyA1', 'dutyA', 'contractorK1'] as const;
export type FixtureUser = (typeof FIXTURE_USERS)[number];

const KIND: Record<NodeName, string> = {
  county: 'county',
  A: 'town',
  B: 'township',
  A1: 'police_district',
  A2: 'police_district',
  B1: 'police_district',
  A1v: 'village',
  A2v: 'village',
  B1v: 'village',
  A1s: 'site',
  A2s: 'site',
  B1s: 'site',
};

function parentOf(name: NodeName): NodeName | null {
  if (name === 'county') return null;
  if (name === 'A' || name === 'B') return 'county';
  if (name.endsWith('s')) return `${name.slice(0, -1)}v` as NodeName;
  return name.slice(0, -1) as NodeName;
}

export async function buildCountyFixture(db: Db): Promise<CountyFixture> {
  const node = {} as Record<NodeName, string>;
  for (const name of NODES) {
    const parent = parentOf(name);
    const { rows } = await db.query<{ id: string }>(
      'INSERT INTO districts (kind, name, code, parent_id) VALUES ($1, $2, $3, $4) RETURNING id',
      [KIND[name], `节点${name}`, `FX-${name}`, parent ? node[parent] : null],
    );
    node[name] = (rows[0] as { id: string }).id;
  }
  const camera = {} as Record<Branch, string>;
  const office = {} as Record<Branch, string>;
  const officer = {} as Record<Branch, string>;
  const incident = {} as Record<Branch, string>;
  for (const [i, b] of BRANCHES.entries()) {
    const insert = async (sql: string, values: unknown[]) =>
      ((await db.query<{ id: string }>(sql, values)).rows[0] as { id: string }).id;
    camera[b] = await insert(
      'INSERT INTO cameras (site_id, name, gb_code) VALUES ($1, $2, $3) RETURNING id',
      [node[`${b}s` as NodeName], `摄像机${b}`, `640425000013200000${i}1`],
    );
    office[b] = await insert('INSERT INTO police_offices (district_id, name) VALUES ($1, $2) RETURNING id', [
      node[b],
      `${b}警务室`,
    ]);
    officer[b] = await insert(
      "INSERT INTO staff (role, name, district_id) VALUES ('community_officer', $1, $2) RETURNING id",
      [`民警${b}`, node[b]],
    );
    incident[b] = await insert(
      "INSERT INTO incidents (type, title, occurred_at, district_id) VALUES ('dispute', $1, now() - interval '1 day', $2) RETURNING id",
      [`纠纷${b}`, node[`${b}v` as NodeName]],
    );
  }
  const contractor = { K1: '', K2: '' };
  const contract = { K1: '', K2: '' };
  for (const [k, area] of [
    ['K1', 'A'],
    ['K2', 'B'],
  ] as const) {
    const c = await db.query<{ id: string }>('INSERT INTO contractors (name) VALUES ($1) RETURNING id', [
      `运维${k}`,
    ]);
    contractor[k] = (c.rows[0] as { id: string }).id;
    const k2 = await db.query<{ id: string }>(
      `INSERT INTO contracts (contractor_id, reference, valid_from, valid_to)
       VALUES ($1, $2, current_date - 365, current_date + 365) RETURNING id`,
      [contractor[k], `HT-${k}`],
    );
    contract[k] = (k2.rows[0] as { id: string }).id;
    await db.query('INSERT INTO contract_areas (contract_id, district_id) VALUES ($1, $2)', [
      contract[k],
      node[area],
    ]);
  }
  const hash = await hashPassword(PASSWORD);
  const user = {} as Record<FixtureUser, string>;
  const roles: Record<FixtureUser, [Role, string | null, string | null]> = {
    admin: ['admin', null, null],
    bureau: ['bureau', null, null],
    dutyA1: ['duty', node.A1, null],
    dutyA: ['duty', node.A, null],
    contractorK1: ['contractor', null, contractor.K1],
  };
  for (const name of FIXTURE_USERS) {
    const [role, scope, contractorId] = roles[name];
    const { rows } = await db.query<{ id: string }>(
      `INSERT INTO users (username, display_name, role, scope_district_id, contractor_id, password_hash)
       VALUES ($1, $1, $2, $3, $4, $5) RETURNING id`,
      [name.toLowerCase(), role, scope, contractorId, hash],
    );
    user[name] = (rows[0] as { id: string }).id;
  }
  return { node, camera, office, officer, incident, contractor, contract, user };
}
