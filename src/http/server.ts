import { fileURLToPath } from 'node:url';
import { FeedHub } from '../alerting/feed-hub.js';
import { feedChannel } from '../alerting/feed-repo.js';
import { Revocations } from '../auth/revocation.js';
import { CredentialVault } from '../cameras/credential-vault.js';
import { loadProfilesSync } from '../cameras/profiles.js';
import type { Config } from '../config.js';
import { createPool } from '../db.js';
import { withDeadline } from '../deadline.js';
import { createLogger } from '../logger.js';
import { createMetrics } from '../metrics.js';
import { migrate } from '../migrate.js';
import { bullConnection, createQueue, type DiscoveryJob, type NotifyJob, QUEUES } from '../queues.js';
import { createRedis } from '../redis.js';
import { RelayService } from '../relay/cluster-service.js';
import { registerApiGauges } from './api-gauges.js';
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
  await deps.alertFeed.start();
  await deps.relay.start();
  const app = await buildApp(deps);
  const url = await app.listen({ host: config.http.host, port: config.http.port });
  // a port picked at listen time is the one the other instances must use
  if (config.http.port === 0) deps.relay.listeningAt(url);
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

const PROFILES_DIR = fileURLToPath(new URL('../../camera-profiles/', import.meta.url));

/** Connections a Deps owns beyond the ones it exposes, closed with it. */
const owned = new WeakMap<Deps, { disconnect: () => void }[]>();
const closers = new WeakMap<Deps, () => Promise<void>>();

export function createDeps(config: Config, log = createLogger(config.logLevel)): Deps {
  const profiles = loadProfilesSync(PROFILES_DIR); // first: a bad profile stops start-up before any connection
  const redis = createRedis(config.redisUrl, config.redisPrefix, log, 'api');
  const subscriber = createRedis(config.redisUrl, config.redisPrefix, log, 'api-sub');
  const bull = bullConnection(config, 'api-queues', log, 'producer');
  const db = createPool(config.databaseUrl, log);
  const vault = new CredentialVault(config.credentialKeys);
  const metrics = createMetrics();
  const deps: Deps = {
    config,
    log,
    db,
    redis,
    vault,
    profiles,
    revocations: new Revocations(redis, subscriber, `${config.redisPrefix}revocations`, log),
    alertFeed: new FeedHub(db, subscriber, feedChannel(config), log, { pollMs: config.alerting.feedPollMs }),
    metrics,
    relay: new RelayService({ config, db, vault, log, registry: metrics.registry }),
    queues: {
      discovery: createQueue<DiscoveryJob>(config, QUEUES.discovery, bull, log),
      notify: createQueue<NotifyJob>(config, QUEUES.notify, bull, log),
    },
  };
  closers.set(deps, registerApiGauges(deps, bull));
  owned.set(deps, [subscriber, bull]);
  return deps;
}

export async function closeDeps(deps: Deps): Promise<void> {
  await deps.relay.close(); // every viewer's audit row closed and every ffmpeg reaped, while Postgres is still here
  await deps.alertFeed.stop();
  await withDeadline(
    closers.get(deps)?.() ?? Promise.resolve(),
    deps.config.dependencyTimeoutMs,
    'gauges close',
  ).catch(() => undefined);
  for (const connection of owned.get(deps) ?? []) connection.disconnect();
  // with its connection gone, closing the queue only settles its own state; never wait long on it
  for (const queue of [deps.queues.discovery, deps.queues.notify]) {
    await withDeadline(queue.close(), deps.config.dependencyTimeoutMs, 'queue close').catch(() => undefined);
  }
  deps.redis.disconnect();
  await deps.db.end();
}
