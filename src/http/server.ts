import { Revocations } from '../auth/revocation.js';
import { CredentialVault } from '../cameras/credential-vault.js';
import type { Config } from '../config.js';
import { createPool } from '../db.js';
import { createLogger } from '../logger.js';
import { createMetrics } from '../metrics.js';
import { migrate } from '../migrate.js';
import { createRedis } from '../redis.js';
import { type App, buildApp } from './app.js';
import type { Deps } from './deps.js';

export interface RunningApi {
  app: App;
  deps: Deps;
  url: string;
  close: () => Promise<void>;
}

/** Builds the dependencies, applies migrations if asked, and listens. `close` drains and disconnects. */
export async function startApi(config: Config): Promise<RunningApi> {
  const log = createLogger(config.logLevel);
  if (config.migrateOnStart) await migrate(config.databaseUrl);
  const deps = createDeps(config, log);
  await deps.revocations.start();
  const app = await buildApp(deps);
  const url = await app.listen({ host: config.http.host, port: config.http.port });
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      await app.close();
      await closeDeps(deps);
    })();
    return closing;
  };
  return { app, deps, url, close };
}

const subscribers = new WeakMap<Deps, ReturnType<typeof createRedis>>();

export function createDeps(config: Config, log = createLogger(config.logLevel)): Deps {
  const redis = createRedis(config.redisUrl, config.redisPrefix, log, 'api');
  const subscriber = createRedis(config.redisUrl, config.redisPrefix, log, 'api-sub');
  const deps: Deps = {
    config,
    log,
    db: createPool(config.databaseUrl, log),
    redis,
    vault: new CredentialVault(config.credentialKeys),
    revocations: new Revocations(redis, subscriber, `${config.redisPrefix}revocations`, log),
    metrics: createMetrics(),
  };
  subscribers.set(deps, subscriber);
  return deps;
}

export async function closeDeps(deps: Deps): Promise<void> {
  subscribers.get(deps)?.disconnect();
  deps.redis.disconnect();
  await deps.db.end();
}
