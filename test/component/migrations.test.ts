import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { migrate } from '../../src/migrate.js';

async function emptyDatabase(): Promise<string> {
  const name = `${inject('runId')}_empty_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: inject('adminDatabaseUrl') });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(inject('adminDatabaseUrl'));
  url.pathname = `/${name}`;
  return url.toString();
}

async function tables(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const { rows } = await client.query<{ table_name: string }>(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
  );
  await client.end();
  return rows.map((r) => r.table_name);
}

describe('migrations', () => {
  it('apply to an empty database, then find nothing to do', async () => {
    const url = await emptyDatabase();
    const first = await migrate(url);
    expect(first.from).toBe(0);
    expect(first.to).toBeGreaterThanOrEqual(1);
    expect(await tables(url)).toEqual(
      expect.arrayContaining([
        'districts',
        'cameras',
        'staff',
        'contracts',
        'incidents',
        'users',
        'audit_log',
      ]),
    );
    const second = await migrate(url);
    expect(second).toEqual({ from: first.to, to: first.to });
  });

  it('several processes starting at once apply each migration exactly once', async () => {
    const url = await emptyDatabase();
    const results = await Promise.all([migrate(url), migrate(url), migrate(url)]);
    const applied = results.filter((r) => r.from !== r.to);
    expect(applied).toHaveLength(1);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query(
      'SELECT version, count(*)::int AS n FROM schema_version GROUP BY version',
    );
    await client.end();
    expect(rows.every((r) => r.n === 1)).toBe(true);
  });
});
