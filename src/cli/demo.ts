import pg from 'pg';
import { CredentialVault } from '../cameras/credential-vault.js';
import { loadConfig } from '../config.js';
import { startApi } from '../http/server.js';
import { migrate } from '../migrate.js';
import { closeOnSignals } from '../process-lifecycle.js';
import { describeCounts, loadSeed } from '../seed/load.js';
import { DEMO_PASSWORD, DEMO_USERS } from '../seed/names.js';
import { runCli } from './run-cli.js';

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

async function isEmpty(databaseUrl: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>(
      'SELECT (SELECT count(*) FROM districts) + (SELECT count(*) FROM users) AS n',
    );
    return rows[0]?.n === 0;
  } finally {
    await client.end();
  }
}

// The main job on a fresh machine: database, schema, the Pengyang data set, then the service.
await runCli('demo', async () => {
  const config = loadConfig();
  await ensureDatabase(config.databaseUrl);
  await migrate(config.databaseUrl);
  if (await isEmpty(config.databaseUrl)) {
    const pool = new pg.Pool({ connectionString: config.databaseUrl, max: 1 });
    try {
      console.log(describeCounts(await loadSeed(pool, new CredentialVault(config.credentialKeys))));
    } finally {
      await pool.end();
    }
  } else {
    console.log('demo: the database already holds data; starting with it as it is');
  }
  const api = await startApi({ ...config, migrateOnStart: false });
  console.log(`\nXueliang is running at ${api.url}  (OpenAPI: ${api.url}/docs)`);
  console.log(`Log in with POST ${api.url}/api/v1/auth/login as any of these, password '${DEMO_PASSWORD}':`);
  for (const u of DEMO_USERS) console.log(`  ${u.username.padEnd(22)} ${u.role}`);
  console.log('Ctrl-C stops it.\n');
  closeOnSignals(api.close, (message) => console.log(message));
});
