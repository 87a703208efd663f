import { CredentialVault } from '../src/cameras/credential-vault.js';
import { runCli } from '../src/cli/run-cli.js';
import { loadConfig } from '../src/config.js';
import { createPool } from '../src/db.js';
import { createInventoryWorker } from '../src/inventory/worker.js';
import { createLogger } from '../src/logger.js';
import { closeOnSignals } from '../src/process-lifecycle.js';
import { bullConnection, createQueue, type InventoryJob, QUEUES } from '../src/queues.js';

// One process of the inventory queue (hourly ONVIF reads): `npx tsx workers/inventory.ts`.
await runCli('worker(inventory)', async () => {
  const config = loadConfig();
  const log = createLogger(config.logLevel).child({ worker: 'inventory' });
  const db = createPool(config.databaseUrl, log);
  const connection = bullConnection(config, 'worker-inventory', log);
  const queue = createQueue<InventoryJob>(config, QUEUES.inventory, connection, log);
  const ctx = { db, vault: new CredentialVault(config.credentialKeys), config, log };
  const worker = await createInventoryWorker(ctx, queue, connection);
  log.info('inventory worker running');
  closeOnSignals(
    async () => {
      await worker.close();
      await queue.close();
      connection.disconnect();
      await db.end();
    },
    (message) => log.info(message),
  );
});
