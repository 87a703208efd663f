import { randomBytes, randomUUID } from 'node:crypto';
import { hashPassword } from '../auth/passwords.js';
import type { CredentialVault } from '../cameras/credential-vault.js';
import { type Db, type Queryable, withTransaction } from '../db.js';
import type { DistrictKind } from '../governance/tree-rules.js';
import { DEMO_PASSWORD, generatePengyang, type PengyangSeed } from './pengyang.js';

/** The seed only ever loads into an empty database: there is deliberately no override. */
export class SeedRefusedError extends Error {
  constructor(districts: number, users: number) {
    super(
      `seed: refused — the database already has ${districts} district(s) and ${users} user(s); ` +
        'the seed loads only into an empty database (use a fresh database)',
    );
    this.name = 'SeedRefusedError';
  }
}

export interface SeedCounts {
  counties: number;
  townsAndTownships: number;
  policeDistricts: number;
  villagesAndCommunities: number;
  sites: number;
  offices: number;
  staff: number;
  contractors: number;
  contracts: number;
  cameras: number;
  users: number;
}

const LEVEL: Record<DistrictKind, number> = {
  county: 0,
  town: 1,
  township: 1,
  police_district: 2,
  village: 3,
  community: 3,
  site: 4,
};

/** One INSERT … SELECT FROM unnest(…) for all rows: one round trip whatever the row count. */
async function bulkInsert(
  db: Queryable,
  table: string,
  columns: readonly (readonly [name: string, type: string])[],
  rows: readonly unknown[][],
): Promise<void> {
  if (rows.length === 0) return;
  const arrays = columns.map((_, i) => rows.map((row) => row[i] ?? null));
  const names = columns.map(([name]) => name).join(', ');
  const unnest = columns.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ');
  await db.query(`INSERT INTO ${table} (${names}) SELECT * FROM unnest(${unnest})`, arrays);
}

function idOf(ids: Map<string, string>, key: string, what: string): string {
  const id = ids.get(key);
  if (!id) throw new Error(`seed: unknown ${what} '${key}'`);
  return id;
}

/**
 * Loads the Pengyang data set in one transaction. Camera credentials (user 'admin', a random password
 * per camera) are sealed with the vault under the camera's own id; demo users get DEMO_PASSWORD.
 * Refuses (SeedRefusedError) when the database already has any district or user.
 */
export async function loadSeed(
  db: Db,
  vault: CredentialVault,
  data: PengyangSeed = generatePengyang(),
): Promise<SeedCounts> {
  // One hash for all demo users: argon2 is deliberately slow. Done before the transaction opens.
  const demoHash = await hashPassword(DEMO_PASSWORD);
  return withTransaction(db, async (client) => {
    // Blocks concurrent writers (and a second seeder) until this transaction ends, so the check holds.
    await client.query('LOCK TABLE districts, users IN SHARE ROW EXCLUSIVE MODE');
    const { rows } = await client.query<{ districts: number; users: number }>(
      'SELECT (SELECT count(*) FROM districts)::int AS districts, (SELECT count(*) FROM users)::int AS users',
    );
    const existing = rows[0] ?? { districts: 0, users: 0 };
    if (existing.districts > 0 || existing.users > 0) {
      throw new SeedRefusedError(existing.districts, existing.users);
    }

    const districtIds = new Map(data.districts.map((d) => [d.code, randomUUID()]));
    const district = (code: string) => idOf(districtIds, code, 'district code');
    // Level by level: the ancestors trigger reads the parent's row, which must already be there.
    for (let level = 0; level <= 4; level++) {
      await bulkInsert(
        client,
        'districts',
        [
          ['id', 'uuid'],
          ['kind', 'district_kind'],
          ['name', 'text'],
          ['code', 'text'],
          ['parent_id', 'uuid'],
          ['lat', 'float8'],
          ['lon', 'float8'],
        ],
        data.districts
          .filter((d) => LEVEL[d.kind] === level)
          .map((d) => [
            district(d.code),
            d.kind,
            d.name,
            d.code,
            d.parentCode === null ? null : district(d.parentCode),
            d.lat,
            d.lon,
          ]),
      );
    }

    const ranges = data.districts.filter((d) => d.networkCidrs?.length);
    await client.query(
      `UPDATE districts d SET network_cidrs = ARRAY[v.cidr::cidr]
         FROM unnest($1::text[], $2::text[]) AS v(code, cidr) WHERE d.code = v.code`,
      [ranges.map((d) => d.code), ranges.map((d) => d.networkCidrs?.[0])],
    );

    await bulkInsert(
      client,
      'police_offices',
      [
        ['district_id', 'uuid'],
        ['name', 'text'],
        ['address', 'text'],
        ['phone', 'text'],
        ['established_year', 'int'],
      ],
      data.offices.map((o) => [district(o.districtCode), o.name, o.address, o.phone, o.establishedYear]),
    );

    // Supervisors are rows of the same statement: the foreign key is checked at the end of it.
    const staffIds = new Map(data.staff.map((s) => [s.key, randomUUID()]));
    await bulkInsert(
      client,
      'staff',
      [
        ['id', 'uuid'],
        ['role', 'staff_role'],
        ['name', 'text'],
        ['phone', 'text'],
        ['birth_date', 'date'],
        ['district_id', 'uuid'],
        ['supervisor_id', 'uuid'],
        ['appointed_on', 'date'],
      ],
      data.staff.map((s) => [
        idOf(staffIds, s.key, 'staff key'),
        s.role,
        s.name,
        s.phone,
        s.birthDate,
        district(s.districtCode),
        s.supervisorKey === null ? null : idOf(staffIds, s.supervisorKey, 'staff key'),
        s.appointedOn,
      ]),
    );

    const contractorIds = new Map(data.contractors.map((c) => [c.key, randomUUID()]));
    const contractor = (key: string) => idOf(contractorIds, key, 'contractor');
    await bulkInsert(
      client,
      'contractors',
      [
        ['id', 'uuid'],
        ['name', 'text'],
        ['contact_name', 'text'],
        ['phone', 'text'],
      ],
      data.contractors.map((c) => [contractor(c.key), c.name, c.contactName, c.phone]),
    );
    const contractIds = data.contracts.map(() => randomUUID());
    await bulkInsert(
      client,
      'contracts',
      [
        ['id', 'uuid'],
        ['contractor_id', 'uuid'],
        ['reference', 'text'],
        ['valid_from', 'date'],
        ['valid_to', 'date'],
        ['fault_threshold_minutes', 'int'],
        ['sla_hours_town_seat', 'int'],
        ['sla_hours_village', 'int'],
      ],
      data.contracts.map((c, i) => [
        contractIds[i],
        contractor(c.contractorKey),
        c.reference,
        c.validFrom,
        c.validTo,
        c.faultThresholdMinutes,
        c.slaHoursTownSeat,
        c.slaHoursVillage,
      ]),
    );
    await bulkInsert(
      client,
      'contract_areas',
      [
        ['contract_id', 'uuid'],
        ['district_id', 'uuid'],
      ],
      data.contracts.flatMap((c, i) => c.areaCodes.map((code) => [contractIds[i], district(code)])),
    );

    await bulkInsert(
      client,
      'cameras',
      [
        ['id', 'uuid'],
        ['site_id', 'uuid'],
        ['name', 'text'],
        ['gb_code', 'text'],
        ['vendor', 'text'],
        ['model', 'text'],
        ['ip', 'inet'],
        ['onvif_url', 'text'],
        ['rtsp_main_url', 'text'],
        ['rtsp_sub_url', 'text'],
        ['lat', 'float8'],
        ['lon', 'float8'],
        ['place_class', 'place_class'],
        ['session_limit', 'int'],
        ['credential_key_id', 'text'],
        ['credential_cipher', 'bytea'],
        ['commissioned_at', 'timestamptz'],
      ],
      data.cameras.map((c) => {
        const id = randomUUID();
        const sealed = vault.seal(id, { username: 'admin', password: randomBytes(12).toString('base64url') });
        return [
          id,
          district(c.siteCode),
          c.name,
          c.gbCode,
          c.vendor,
          c.model,
          c.ip,
          c.onvifUrl,
          c.rtspMainUrl,
          c.rtspSubUrl,
          c.lat,
          c.lon,
          c.placeClass,
          c.sessionLimit,
          sealed.keyId,
          sealed.cipher,
          c.commissionedAt,
        ];
      }),
    );

    await bulkInsert(
      client,
      'users',
      [
        ['username', 'text'],
        ['display_name', 'text'],
        ['role', 'user_role'],
        ['scope_district_id', 'uuid'],
        ['contractor_id', 'uuid'],
        ['password_hash', 'text'],
      ],
      data.users.map((u) => [
        u.username,
        u.displayName,
        u.role,
        u.scopeCode === null ? null : district(u.scopeCode),
        u.contractorKey === null ? null : contractor(u.contractorKey),
        demoHash,
      ]),
    );

    const ofKind = (...kinds: DistrictKind[]) => data.districts.filter((d) => kinds.includes(d.kind)).length;
    return {
      counties: ofKind('county'),
      townsAndTownships: ofKind('town', 'township'),
      policeDistricts: ofKind('police_district'),
      villagesAndCommunities: ofKind('village', 'community'),
      sites: ofKind('site'),
      offices: data.offices.length,
      staff: data.staff.length,
      contractors: data.contractors.length,
      contracts: data.contracts.length,
      cameras: data.cameras.length,
      users: data.users.length,
    };
  });
}

export function describeCounts(c: SeedCounts): string {
  return (
    `seed: loaded ${c.counties} county, ${c.townsAndTownships} towns/townships, ${c.policeDistricts} police districts, ` +
    `${c.villagesAndCommunities} villages/communities, ${c.sites} sites, ${c.offices} police offices, ` +
    `${c.staff} staff, ${c.contractors} contractors, ${c.contracts} contracts, ${c.cameras} cameras, ` +
    `${c.users} users`
  );
}
