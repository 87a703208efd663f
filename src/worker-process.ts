import { createServer, type Server, type ServerResponse } from 'node:http';
import type { Redis } from 'ioredis';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { CredentialVault } from './cameras/credential-vault.js';
import { runCli } from './cli/run-cli.js';
import { loadConfig } from './config.js';
import { createPool } from './db.js';
import { createLogger } from './logger.js';
import { createProbeMetrics } from './probing/metrics.js';
import { closeOnSignals } from './process-lifecycle.js';
import { bullConnection } from './queues.js';
import { readiness } from './readiness.js';
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
    const registry = new Registry();
    collectDefaultMetrics({ register: registry, prefix: 'xueliang_worker_' });
    new Gauge({
      name: 'xueliang_worker_info',
      // not `worker`: the compose Prometheus config gives every worker target that label already
      help: 'A worker process of this kind runs here (always 1)',
      labelNames: ['kind'] as const,
      registers: [registry],
    }).set({ kind: name }, 1);
    const ctx: WorkerContext = {
      db,
      vault: new CredentialVault(config.credentialKeys),
      config,
      log,
      probeMetrics: createProbeMetrics(registry),
    };
    const running = await start(ctx, connection);
    const metricsServer = config.workerMetricsPort
      ? await serveMetrics(registry, config.http.host, config.workerMetricsPort, () =>
          readiness(
            { db, redis: connection, pingQueues: () => connection.ping() },
            config.dependencyTimeoutMs,
          ),
        )
      : null;
    log.info(`${name} worker running`);
    closeOnSignals(
      async () => {
        metricsServer?.close();
        await running.close();
        connection.disconnect();
        await db.end();
      },
      (message) => log.info(message),
    );
  });
}

/** /metrics, /healthz (alive) and /readyz (Postgres and the queues' Redis answer) of a worker process. */
function serveMetrics(
  registry: Registry,
  host: string,
  port: number,
  ready: () => Promise<{ ready: boolean }>,
): Promise<Server> {
  const json = (res: ServerResponse, status: number, body: unknown) =>
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  const server = createServer((req, res) => {
    if (req.url === '/metrics') {
      registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
        () => res.writeHead(500).end(),
      );
    } else if (req.url === '/healthz') {
      json(res, 200, { ok: true });
    } else if (req.url === '/readyz') {
      ready().then((r) => json(res, r.ready ? 200 : 503, r));
    } else {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve) => server.listen(port, host, () => resolve(server)));
}
