import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import { CredentialVault } from '../src/cameras/credential-vault.js';
import { loadConfig } from '../src/config.js';
import { benchDatabase, benchSite } from './lib/bench-db.js';
import { treeCpuSeconds, treeRssKb } from './lib/proc.js';

// Handshake probes per second with 10,000 simulated cameras, including the state update and the batched writes:
// the light RTSP responder pinned to core 0, one probe worker process pinned to core 1 (taskset).
const CAMERAS = Number(process.env.BENCH_CAMERAS ?? 10_000);
const INTERVAL_MS = 2000; // 5,000 probes/s asked of the worker: more than it can do, so it runs flat out
const WARM_UP_S = 12;
const BASELINE_CAMERAS = 100;
const BASELINE_S = 10;
const MEASURE_S = 20;
const HOST = '127.59.0.1';
const PASSWORD = 'bench-pass-1';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const config = loadConfig({ NODE_ENV: 'test' });
const vault = new CredentialVault(config.credentialKeys);
const redisPrefix = `xlbench_${randomBytes(3).toString('hex')}:`;
const database = await benchDatabase();
const db = new pg.Pool({ connectionString: database.url, max: 2 });
const children: ChildProcess[] = [];

try {
  const site = await benchSite(db);
  const ids = Array.from({ length: CAMERAS }, () => randomUUID());

  const light = spawn('taskset', ['-c', '0', 'npx', 'tsx', 'bench/lib/light-county.ts'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  children.push(light);
  light.stdin?.write(
    `${JSON.stringify({ host: HOST, cameras: ids.map((id) => ({ id, username: 'admin', password: PASSWORD })) })}\n`,
  );
  const port = await new Promise<number>((resolve, reject) => {
    light.stdout?.on('data', (chunk: Buffer) => {
      const m = /READY (\d+)/.exec(chunk.toString());
      if (m) resolve(Number(m[1]));
    });
    light.once('exit', () => reject(new Error('light server exited')));
  });

  const sealed = ids.map((id) => vault.seal(id, { username: 'admin', password: PASSWORD }));
  const register = async (from: number, to: number) => {
    for (let i = from; i < to; i += 2000) {
      const slice = ids.slice(i, Math.min(to, i + 2000));
      await db.query(
        `INSERT INTO cameras (id, site_id, name, gb_code, rtsp_main_url, credential_key_id, credential_cipher, commissioned_at)
         SELECT id, $2, 'B' || n, '6404250000132' || lpad(n::text, 7, '0'), url, k, c, now() - interval '1 day'
           FROM unnest($1::uuid[], $3::text[], $4::text[], $5::bytea[], $6::int[]) AS t(id, url, k, c, n)`,
        [
          slice,
          site,
          slice.map((id) => `rtsp://${HOST}:${port}/cam/${id}/main`),
          slice.map((_, j) => sealed[i + j]?.keyId),
          slice.map((_, j) => sealed[i + j]?.cipher),
          slice.map((_, j) => i + j + 1),
        ],
      );
    }
  };
  // a few cameras first, so the worker's own footprint (runtime, modules, connections) is known, then the rest:
  // KB per camera is what the cameras add to it
  await register(0, BASELINE_CAMERAS);

  // BENCH_CPU_PROFILE=<dir>: the worker writes a V8 CPU profile there when it stops
  const profile = process.env.BENCH_CPU_PROFILE
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROFILE}`]
    : [];
  const worker = spawn('taskset', ['-c', '1', 'node', ...profile, '--import', 'tsx', 'workers/probe.ts'], {
    env: {
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      DATABASE_URL: database.url,
      XUELIANG_REDIS_PREFIX: redisPrefix,
      XUELIANG_PROBE_INTERVAL_MS: String(INTERVAL_MS),
      XUELIANG_PROBE_SHARDS: '32',
      XUELIANG_PROBE_CONCURRENCY: '512',
      XUELIANG_PROBE_TIMEOUT_MS: '3000',
      XUELIANG_PROBE_STREAM_EVERY: '10000',
      XUELIANG_MAX_DECODERS: '0',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
    detached: true,
  });
  children.push(worker);
  const pid = worker.pid as number;

  await sleep(BASELINE_S * 1000);
  const baselineRssKb = treeRssKb(pid);
  await register(BASELINE_CAMERAS, CAMERAS);
  await sleep(WARM_UP_S * 1000);
  const count = async () =>
    (await db.query('SELECT count(*)::int AS n FROM probe_results')).rows[0].n as number;
  const [n0, cpu0, t0] = [await count(), treeCpuSeconds(pid), Date.now()];
  await sleep(MEASURE_S * 1000);
  const [n1, cpu1, t1] = [await count(), treeCpuSeconds(pid), Date.now()];
  const rssKb = treeRssKb(pid);
  const { rows } = await db.query(
    `SELECT count(*) FILTER (WHERE state = 'online')::int AS online, count(*)::int AS known FROM camera_health`,
  );
  const probes = n1 - n0;
  if (probes <= 0) throw new Error('bench(probe): the worker recorded no probes; see its output above');
  const seconds = (t1 - t0) / 1000;
  console.log(
    JSON.stringify({
      bench: 'probe',
      cameras: CAMERAS,
      probes_per_s: Math.round(probes / seconds),
      worker_cpu_cores: Number(((cpu1 - cpu0) / seconds).toFixed(2)),
      cpu_us_per_probe: Math.round(((cpu1 - cpu0) * 1e6) / Math.max(1, probes)),
      worker_rss_mb: Math.round(rssKb / 1024),
      worker_rss_mb_at_100_cameras: Math.round(baselineRssKb / 1024),
      kb_per_camera: Number(((rssKb - baselineRssKb) / (CAMERAS - BASELINE_CAMERAS)).toFixed(1)),
      rss_kb_per_camera_all_in: Number((rssKb / CAMERAS).toFixed(1)),
      cameras_online: rows[0].online,
      note: 'worker pinned to one core with taskset; Postgres and Redis not counted in the worker CPU',
    }),
  );
} finally {
  for (const child of children) {
    try {
      if (child.pid)
        process.kill(child.spawnargs.includes('workers/probe.ts') ? -child.pid : child.pid, 'SIGTERM');
    } catch {}
  }
  children[0]?.stdin?.end();
  await sleep(1500);
  await db.end();
  await database.drop();
  const redis = new Redis(config.redisUrl);
  const keys = await redis.keys(`${redisPrefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
}
