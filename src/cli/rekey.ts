import { CredentialVault } from '../cameras/credential-vault.js';
import { resealCredentials } from '../cameras/registry.js';
import { loadConfig } from '../config.js';
import { createPool } from '../db.js';
import { createLogger } from '../logger.js';
import { resealRouteTargets } from '../notify/routes-repo.js';
import { runCli } from './run-cli.js';

// Rotation: put the new key first in XUELIANG_CREDENTIAL_KEYS, keep the old one after it, deploy, run this,
// then drop the old key. Services keep working throughout: every key of the ring still opens.
await runCli('rekey', async () => {
  const config = loadConfig();
  const db = createPool(config.databaseUrl, createLogger(config.logLevel));
  try {
    const vault = new CredentialVault(config.credentialKeys);
    const count = await resealCredentials(db, vault);
    console.log(`rekey: ${count} cameras re-sealed under key '${vault.currentKeyId}'`);
    const routes = await resealRouteTargets(db, vault);
    console.log(`rekey: ${routes} notification route targets re-sealed under key '${vault.currentKeyId}'`);
  } finally {
    await db.end();
  }
});
