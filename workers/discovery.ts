import { CredentialVault } from '../src/cameras/credential-vault.js';
import { runCli } from '../src/cli/run-cli.js';
import { loadConfig } from '../src/config.js';
import { createPool } from '../src/db.js';
import { createDiscoveryWorker } from '../src/discovery/worker.js';
import { createLogger } from '../src/logger.js';
import { closeOnSignals } from '../src/process-lifecycle.js';
import { bullConnection } from '../src/queues.js';

// One process of the discovery queue: `npx tsx workers/discovery.ts`. Run as many as the county needs.
await runCli('worker(discovery)', async () => {
  const config = loadConfig();
  const log = createLogger(config.logLevel).child({ worker: 'discovery' });
  const db = createPool(config.databaseUrl, log);
  const connection = bullConnection(config, 'worker-discovery', log);
  const worker = createDiscoveryWorker(
    { db, vault: new CredentialVault(config.credentialKeys), config, log },
    connection,
  );
  log.info('discovery worker running');
  closeOnSignals(
    async () => {
      await worker.close();
      connection.disconnect();
      await db.end();
    },
    (message) => log.info(message),
  );
});
