import pg from 'pg';
import { CredentialVault } from '../cameras/credential-vault.js';
import type { Config } from '../config.js';
import { migrate } from '../migrate.js';
import { describeCounts, loadSeed } from '../seed/load.js';

/** Creates the configured database on its server if it does not exist yet. */
async function ensureDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  url.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 5000 });
  await admin.connect();
  try {
    const { rows } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rows.length === 0) {
      await admin.query(`CREATE DATABASE "${name.replaceAll('"', '""')}"`);
      console.log(`demo: created database ${name}`);
    }
  } finally {
    await admin.end();
  }
}

async function isEmpty(pool: pg.Pool): Promise<boolean> {
  const { rows } = await pool.query<{ n: number }>(
    'SELECT (SELECT count(*) FROM districts) + (SELECT count(*) FROM users) AS n',
  );
  return rows[0]?.n === 0;
}

/** The demo's database: created if missing, migrated, and seeded with Pengyang County when empty. */
export async function prepareDemoDatabase(config: Config): Promise<void> {
  await ensureDatabase(config.databaseUrl);
  await migrate(config.databaseUrl);
  const pool = new pg.Pool({ connectionString: config.databaseUrl, max: 1 });
  try {
    if (await isEmpty(pool)) {
      console.log(describeCounts(await loadSeed(pool, new CredentialVault(config.credentialKeys))));
    } else {
      console.log('demo: the database already holds data; starting with it as it is');
    }
  } finally {
    await pool.end();
  }
}
