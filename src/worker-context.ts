import type { Logger } from 'pino';
import type { CredentialVault } from './cameras/credential-vault.js';
import type { Config } from './config.js';
import type { Db } from './db.js';

/** What a job handler's service needs: the database, the credential vault, the configuration and a logger. */
export interface WorkerContext {
  db: Db;
  vault: CredentialVault;
  config: Config;
  log: Logger;
}
