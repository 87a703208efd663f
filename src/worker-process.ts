import type { Redis } from 'ioredis';
import { CredentialVault } from './cameras/credential-vault.js';
import { runCli } from './cli/run-cli.js';
import { loadConfig } from './config.js';
import { createPool } from './db.js';
import { createLogger } from './logger.js';
import { closeOnSignals } from './process-lifecycle.js';
import { bullConnection } from './queues.js';
import type { WorkerContext } from './worker-context.js';

/**
 * The shell of a worker process (workers/*.ts): configuration, database, one BullMQ connection, and a graceful
 * close on SIGTERM/SIGINT that lets running jobs finish before the connections go.
 */
export async function runWorkerProcess(
  name: string,
  start: (ctx: WorkerContext, connection: Redis) => Promise<{ close: () => Promise<void> }>,
): Promise<void> {
  await runCli(`worker(${name})`, async () => {
    const config = loadConfig();
    const log = createLogger(config.logLevel).child({ worker: name });
    const db = createPool(config.databaseUrl, log);
    const connection = bullConnection(config, `worker-${name}`, log);
    const running = await start(
      { db, vault: new CredentialVault(config.credentialKeys), config, log },
      connection,
    );
    log.info(`${name} worker running`);
    closeOnSignals(
      async () => {
        await running.close();
        connection.disconnect();
        await db.end();
      },
      (message) => log.info(message),
    );
  });
}
