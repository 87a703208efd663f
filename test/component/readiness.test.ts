import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentedMetrics, readRepoFile } from '../ops/ops-support.js';
import { keepOutput } from '../support/child-output.js';
import { freshDatabase, startTestApi, type TestApi } from '../support/harness.js';
import { isDefaultMetric, parseExposition } from '../support/metrics-text.js';
import { crashRedis, freePort, startPrivateRedis } from '../support/private-redis.js';

// Readiness of the API and of a worker process follows Redis: red (503, naming Redis and the queues) while a
// redis-server of this file's own is stopped, green again once it is back on the same port. Liveness stays
// green throughout: a process that waits for Redis must not be restarted by its orchestrator.
let dir: string;
let redisPort: number;
let redis: ChildProcess | undefined;
let api: TestApi;
let worker: ChildProcess;
let workerUrl: string;
const workerLog: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'xl-ready-'));
  redisPort = await freePort();
  redis = await startPrivateRedis(redisPort, dir);
  const databaseUrl = await freshDatabase();
  const env = { REDIS_URL: `redis://127.0.0.1:${redisPort}`, XUELIANG_DEPENDENCY_TIMEOUT_MS: '500' };
  api = await startTestApi({ databaseUrl, env });
  const metricsPort = await freePort();
  workerUrl = `http://127.0.0.1:${metricsPort}`;
  worker = spawn('npx', ['tsx', 'workers/discovery.ts'], {
    env: {
      ...process.env,
      ...env,
      NODE_ENV: 'test',
      LOG_LEVEL: 'error',
      DATABASE_URL: databaseUrl,
      XUELIANG_REDIS_PREFIX: `${api.config.redisPrefix}w:`,
      XUELIANG_HTTP_HOST: '127.0.0.1',
      XUELIANG_WORKER_METRICS_PORT: String(metricsPort),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  keepOutput(worker, 'discovery worker', workerLog);
  const deadline = Date.now() + 30_000;
  while ((await status(`${workerUrl}/healthz`)) !== 200) {
    if (Date.now() > deadline) throw new Error(`the worker never served /healthz: ${workerLog.join('\n')}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}, 60_000);

afterAll(async () => {
  if (worker?.pid && worker.exitCode === null) {
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    process.kill(-worker.pid, 'SIGTERM');
    await exited;
  }
  await api?.close();
  await crashRedis(redis);
  await rm(dir, { recursive: true, force: true });
});

async function status(url: string): Promise<number> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(3000) })).status;
  } catch {
    return 0;
  }
}

async function apiReady(): Promise<{ status: number; body: { checks: Record<string, { ok: boolean }> } }> {
  const res = await api.app.inject({ url: '/readyz' });
  return { status: res.statusCode, body: res.json() };
}

describe('readiness follows Redis', () => {
  it('is green for the API and a worker while Redis answers', async () => {
    expect((await apiReady()).status).toBe(200);
    const res = await fetch(`${workerUrl}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      ready: true,
      checks: { postgres: { ok: true }, redis: { ok: true }, queues: { ok: true } },
    });
  });

  it('serves the worker metrics docs/metrics.md documents, naming its kind', async () => {
    const doc = documentedMetrics(readRepoFile('docs/metrics.md'));
    const served = parseExposition(await (await fetch(`${workerUrl}/metrics`)).text());
    expect(served.get('xueliang_worker_info')?.samples.get('xueliang_worker_info{kind="discovery"}')).toBe(1);
    expect(served.get('xueliang_worker_process_resident_memory_bytes')?.type).toBe('gauge');
    const undocumented = [...served.keys()].filter(
      (name) => name.startsWith('xueliang_') && !isDefaultMetric(name) && !doc.types.has(name),
    );
    expect(undocumented).toEqual([]);
  });

  it('turns red when Redis stops, keeps liveness green, and turns green when Redis returns', async () => {
    await crashRedis(redis);
    redis = undefined;
    await expect.poll(async () => (await apiReady()).status, { timeout: 15_000, interval: 250 }).toBe(503);
    const red = await apiReady();
    expect(red.body.checks.postgres?.ok).toBe(true);
    expect(red.body.checks.redis?.ok).toBe(false);
    expect(red.body.checks.queues?.ok).toBe(false);
    await expect.poll(() => status(`${workerUrl}/readyz`), { timeout: 15_000, interval: 250 }).toBe(503);
    const workerRed = (await (await fetch(`${workerUrl}/readyz`)).json()) as { checks: object };
    expect(workerRed.checks).toMatchObject({
      postgres: { ok: true },
      redis: { ok: false },
      queues: { ok: false },
    });
    expect((await api.app.inject({ url: '/healthz' })).statusCode).toBe(200);
    expect(await status(`${workerUrl}/healthz`)).toBe(200);

    redis = await startPrivateRedis(redisPort, dir);
    await expect.poll(async () => (await apiReady()).status, { timeout: 30_000, interval: 250 }).toBe(200);
    await expect.poll(() => status(`${workerUrl}/readyz`), { timeout: 30_000, interval: 250 }).toBe(200);
    expect(worker.exitCode, workerLog.join('\n')).toBeNull();
  });
});
