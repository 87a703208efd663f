import pg from 'pg';
import { CredentialVault } from '../cameras/credential-vault.js';
import { loadConfig } from '../config.js';
import { migrate } from '../migrate.js';
import { describeCounts, loadSeed, SeedRefusedError } from '../seed/load.js';
import { runCli } from './run-cli.js';

await runCli('seed', async () => {
  const config = loadConfig();
  await migrate(config.databaseUrl);
  const pool = new pg.Pool({ connectionString: config.databaseUrl, max: 1, connectionTimeoutMillis: 5000 });
  try {
    const counts = await loadSeed(pool, new CredentialVault(config.credentialKeys));
    console.log(describeCounts(counts));
  } catch (err) {
    // The guard is an expected answer, not a crash: its message alone, no stack.
    if (!(err instanceof SeedRefusedError)) throw err;
    console.error(err.message);
    process.exitCode = 1;
  } finally {
    await pool.end();
  }
});
