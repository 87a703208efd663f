import { spawn } from 'node:child_process';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPassword } from '../../src/auth/passwords.js';
import { CredentialVault } from '../../src/cameras/credential-vault.js';
import { describeCounts, loadSeed, SeedRefusedError } from '../../src/seed/load.js';
import { DEMO_PASSWORD, DEMO_USERS } from '../../src/seed/pengyang.js';
import { freshDatabase, testConfig } from '../support/harness.js';

let pool: pg.Pool;
let vault: CredentialVault;

beforeAll(async () => {
  const url = await freshDatabase();
  pool = new pg.Pool({ connectionString: url, max: 2 });
  vault = new CredentialVault(testConfig(url).credentialKeys);
});
afterAll(() => pool.end());

/** Row counts of every table the seed writes, to prove a refused second load changed nothing. */
async function tableCounts(): Promise<Record<string, number>> {
  const tables = ['districts', 'police_offices', 'staff', 'contractors', 'contracts', 'contract_areas'];
  const { rows } = await pool.query<Record<string, number>>(
    `SELECT ${[...tables, 'cameras', 'users'].map((t) => `(SELECT count(*)::int FROM ${t}) AS ${t}`).join(', ')}`,
  );
  return rows[0] ?? {};
}

function runSeedCli(databaseUrl: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['tsx', 'src/cli/seed.ts'], {
      env: { ...process.env, DATABASE_URL: databaseUrl, NODE_ENV: 'test' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('loading the Pengyang seed', () => {
  it('loads the county into an empty database, quickly', async () => {
    const started = performance.now();
    const counts = await loadSeed(pool, vault);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(counts).toMatchObject({ counties: 1, townsAndTownships: 12, policeDistricts: 28, offices: 28 });
    expect(describeCounts(counts)).toMatch(
      /^seed: loaded 1 county, 12 towns\/townships, 28 police districts/,
    );

    const { rows } = await pool.query<{ kind: string; n: number }>(
      'SELECT kind, count(*)::int AS n FROM districts GROUP BY kind',
    );
    const byKind = Object.fromEntries(rows.map((r) => [r.kind, r.n]));
    expect(byKind).toMatchObject({ county: 1, town: 4, township: 8, police_district: 28 });
    expect((byKind.village ?? 0) + (byKind.community ?? 0)).toBe(counts.villagesAndCommunities);
    const all = await tableCounts();
    expect(all.police_offices).toBe(28);
    expect(all.contracts).toBe(3);
    expect(all.contract_areas).toBe(12);
    expect(all.cameras).toBe(counts.cameras);
    expect(all.cameras).toBeGreaterThanOrEqual(300);
    expect(all.cameras).toBeLessThanOrEqual(400);
    expect(all.users).toBe(DEMO_USERS.length);
  });

  it('builds the ancestor paths and puts every camera on a site', async () => {
    const { rows } = await pool.query<{ kind: string; depth: number }>(
      'SELECT DISTINCT kind, cardinality(ancestors) AS depth FROM districts ORDER BY depth',
    );
    expect(rows.map((r) => [r.kind, r.depth])).toEqual(
      expect.arrayContaining([
        ['county', 1],
        ['police_district', 3],
        ['site', 5],
      ]),
    );
    const off = await pool.query(
      `SELECT 1 FROM cameras c JOIN districts d ON d.id = c.site_id WHERE d.kind <> 'site'`,
    );
    expect(off.rowCount).toBe(0);
    const staff = await pool.query<{ role: string; n: number }>(
      `SELECT role, count(*)::int AS n FROM staff WHERE role IN ('community_officer', 'police_assistant') GROUP BY role ORDER BY role`,
    );
    expect(staff.rows).toEqual([
      { role: 'community_officer', n: 28 },
      { role: 'police_assistant', n: 156 },
    ]);
  });

  it('seals every camera credential under its own id, with no password bytes in the stored cipher', async () => {
    const { rows } = await pool.query<{ id: string; credential_key_id: string; credential_cipher: Buffer }>(
      'SELECT id, credential_key_id, credential_cipher FROM cameras',
    );
    expect(rows.length).toBeGreaterThanOrEqual(300);
    const passwords = new Set<string>();
    for (const row of rows) {
      const creds = vault.open(row.id, { keyId: row.credential_key_id, cipher: row.credential_cipher });
      expect(creds.username).toBe('admin');
      expect(creds.password.length).toBeGreaterThanOrEqual(12);
      expect(row.credential_cipher.includes(Buffer.from(creds.password))).toBe(false);
      passwords.add(creds.password);
    }
    expect(passwords.size).toBe(rows.length);
  });

  it('gives the demo users the demo password and their scope and contractor', async () => {
    const { rows } = await pool.query<{
      username: string;
      password_hash: string;
      scope: string | null;
      contractor: string | null;
    }>(
      `SELECT u.username, u.password_hash, d.name AS scope, c.name AS contractor
         FROM users u LEFT JOIN districts d ON d.id = u.scope_district_id
         LEFT JOIN contractors c ON c.id = u.contractor_id ORDER BY u.username`,
    );
    const user = (name: string) => rows.find((r) => r.username === name);
    expect(user('duty-baiyang-1')?.scope).toBe('白阳镇第一警务区');
    expect(user('duty-wangwa')?.scope).toBe('王洼镇');
    expect(user('contractor-tianwang')?.contractor).toBe('固原天网安防工程有限公司');
    expect(await verifyPassword(user('admin')?.password_hash ?? '', DEMO_PASSWORD)).toBe(true);
  });

  it('refuses a second load with the guard message and changes nothing', async () => {
    const before = await tableCounts();
    const err = await loadSeed(pool, vault).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SeedRefusedError);
    expect((err as Error).message).toMatch(/^seed: refused — the database already has \d+ district\(s\)/);
    expect(await tableCounts()).toEqual(before);
  });

  it('npm run seed: exits 0 on an empty database and 1 with the guard message the second time', async () => {
    const url = await freshDatabase();
    const first = await runSeedCli(url);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout.trim()).toMatch(
      /^seed: loaded 1 county, 12 towns\/townships, 28 police districts, .* cameras, 5 users$/,
    );
    const second = await runSeedCli(url);
    expect(second.code).toBe(1);
    expect(second.stderr.trim()).toMatch(
      /^seed: refused — the database already has \d+ district\(s\) and 5 user\(s\)/,
    );
    expect(second.stdout).toBe('');
  });
});
