import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrate } from '../../src/migrate.js';

const ADMIN_URL = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A migrated database of the benchmark's own, dropped by `drop()` (call it in a finally). */
export async function benchDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `xlbench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  await migrate(url.toString());
  return {
    url: url.toString(),
    drop: async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

/** A one-branch tree (county → town → police district → village → site); returns the site id. */
export async function benchSite(db: pg.Pool): Promise<string> {
  let parent: string | null = null;
  for (const [kind, code] of [
    ['county', 'B'],
    ['town', 'B-T'],
    ['police_district', 'B-PD'],
    ['village', 'B-V'],
    ['site', 'B-S'],
  ] as const) {
    const res: pg.QueryResult<{ id: string }> = await db.query(
      'INSERT INTO districts (kind, name, code, parent_id) VALUES ($1, $2, $3, $4) RETURNING id',
      [kind, code, code, parent],
    );
    parent = (res.rows[0] as { id: string }).id;
  }
  return parent as string;
}
