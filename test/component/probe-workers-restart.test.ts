import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CredentialVault } from '../../src/cameras/credential-vault.js';
import { parseCredentialKeys } from '../../src/config.js';
import { migrate } from '../../src/migrate.js';
import { keepOutput } from '../support/child-output.js';
import { crashRedis, freePort, startPrivateRedis } from '../support/private-redis.js';
import { type RtspCounty, startRtspCounty } from '../support/rtsp-county.js';

// A probe worker process carries on by itself when Redis or Postgres is stopped and started again. Both servers
// are private to this file (a redis-server and a PostgreSQL 15 cluster on free ports, in temporary
// directories), so stopping them touches nothing else on the machine. Redis keeps nothing across its restart
// (`--save ""`, no AOF): the queue and its job scheduler are gone and the worker must make them again.
const CAMERAS = 20;
const INTERVAL_MS = 1000;
const RTSP_HOST = '127.78.0.1';
const PG_BIN = '/usr/lib/postgresql/15/bin';
const OUTAGE_MS = 3000;
/** how long the worker has to record a whole slot again once its server is back */
const RECOVERY_DEADLINE_MS = 30_000;
const CREDENTIAL_KEYS = `restart:${randomBytes(32).toString('base64')}`;

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let tmp: string | undefined; // redis' directory, the worker's scratch
let pgDir: string | undefined; // owned by postgres: the cluster, its socket and its log
let redisPort = 0;
let pgPort = 0;
let redis: ChildProcess | undefined;
let pgStarted = false;
let databaseUrl = '';
let db: pg.Pool | undefined;
let county: RtspCounty | undefined;
let worker: ChildProcess | undefined;
const workerLog: string[] = [];

function startRedis(): Promise<ChildProcess> {
  return startPrivateRedis(redisPort, tmp as string);
}

function stopRedis(): Promise<void> {
  const child = redis;
  redis = undefined;
  return crashRedis(child);
}

/** A PostgreSQL binary run as the postgres user (the server refuses root). */
function asPostgres(binary: string, args: string[]) {
  return run('runuser', ['-u', 'postgres', '--', join(PG_BIN, binary), ...args], { timeout: 60_000 });
}

async function startPostgres(): Promise<void> {
  const dir = pgDir as string;
  await asPostgres('pg_ctl', [
    '-D',
    join(dir, 'data'),
    '-l',
    join(dir, 'server.log'),
    '-o',
    `-p ${pgPort} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
    '-w',
    '-t',
    '30',
    'start',
  ]);
  pgStarted = true;
}

async function stopPostgres(mode: 'fast' | 'immediate'): Promise<void> {
  await asPostgres('pg_ctl', ['-D', join(pgDir as string, 'data'), '-m', mode, '-w', '-t', '30', 'stop']);
  pgStarted = false;
}

function startWorker(): ChildProcess {
  const child = spawn('npx', ['tsx', 'workers/probe.ts'], {
    env: {
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      // its scratch (snapshots) goes where afterAll removes it: a worker killed -9 cleans up nothing
      TMPDIR: tmp as string,
      DATABASE_URL: databaseUrl,
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      XUELIANG_REDIS_PREFIX: 'xlrestart:',
      XUELIANG_CREDENTIAL_KEYS: CREDENTIAL_KEYS,
      XUELIANG_WORKER_METRICS_PORT: '0',
      XUELIANG_PROBE_INTERVAL_MS: String(INTERVAL_MS),
      XUELIANG_PROBE_SHARDS: '4',
      XUELIANG_PROBE_TIMEOUT_MS: '800',
      XUELIANG_PROBE_STREAM_WINDOW_MS: '300',
      XUELIANG_PROBE_LOCK_MS: '4000',
      // no ffmpeg in the worker: this is about its connections, not the picture layer
      XUELIANG_PROBE_PICTURE_EVERY: '100000',
      XUELIANG_MAX_DECODERS: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  keepOutput(child, 'worker', workerLog);
  return child;
}

function alive(child: ChildProcess | undefined): boolean {
  return !!child && child.exitCode === null && child.signalCode === null;
}

function stopWorker(): Promise<void> {
  const child = worker;
  return new Promise((resolve) => {
    if (!child || !alive(child)) return resolve();
    child.once('exit', () => resolve());
    // the whole group: npx, tsx and node
    try {
      process.kill(-(child.pid as number), 'SIGKILL');
    } catch {
      resolve();
    }
  });
}

/**
 * Waits for a slot that began at or after `since` to be recorded for every camera. Returns how long that took
 * after `since`, or null when the deadline passed. A client of its own per look, so Postgres' own restart does
 * not leave this test with a dead connection.
 */
async function waitForWholeSlot(since: number, deadlineMs: number): Promise<number | null> {
  while (Date.now() - since < deadlineMs) {
    const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      const { rows } = await client.query<{ slot_at: Date }>(
        `SELECT slot_at FROM probe_results WHERE kind = 'slot' AND slot_at >= $1
          GROUP BY slot_at HAVING count(DISTINCT camera_id) = $2 ORDER BY slot_at LIMIT 1`,
        [new Date(since), CAMERAS],
      );
      if (rows[0]) return Date.now() - since;
    } catch {
      // Postgres not there yet: look again
    } finally {
      await client.end().catch(() => undefined);
    }
    await sleep(250);
  }
  return null;
}

function workerTail(): string {
  return `worker output (last lines):\n${workerLog.slice(-40).join('\n')}`;
}

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('this test runs as root (it starts a private Postgres)');
  tmp = await mkdtemp(join(tmpdir(), 'xlrestart-'));
  pgDir = await mkdtemp(join(tmpdir(), 'xlrestart-pg-'));
  await run('chown', ['postgres:postgres', pgDir]);
  [redisPort, pgPort] = [await freePort(), await freePort()];

  await asPostgres('initdb', [
    '-D',
    join(pgDir, 'data'),
    '-A',
    'trust',
    '-U',
    'postgres',
    '-E',
    'UTF8',
    '--locale=C',
    '--no-sync',
  ]);
  await startPostgres();
  redis = await startRedis();

  const admin = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${pgPort}/postgres` });
  await admin.connect();
  await admin.query('CREATE DATABASE xueliang_restart');
  await admin.end();
  databaseUrl = `postgres://postgres@127.0.0.1:${pgPort}/xueliang_restart`;
  await migrate(databaseUrl);

  db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  // its idle clients die with Postgres' restart; the pool replaces them
  db.on('error', () => undefined);
  let parent: string | null = null;
  for (const kind of ['county', 'town', 'police_district', 'village', 'site'] as const) {
    const res: pg.QueryResult<{ id: string }> = await db.query(
      'INSERT INTO districts (kind, name, code, parent_id) VALUES ($1, $2, $3, $4) RETURNING id',
      [kind, `R-${kind}`, `R-${kind.replace('_', '-')}`, parent],
    );
    parent = (res.rows[0] as { id: string }).id;
  }
  const vault = new CredentialVault(parseCredentialKeys('XUELIANG_CREDENTIAL_KEYS', CREDENTIAL_KEYS));
  county = await startRtspCounty(db, vault, parent as string, CAMERAS, RTSP_HOST);
  await db.end();
  db = undefined;
}, 60_000);

afterAll(async () => {
  await stopWorker();
  await county?.server.close().catch(() => undefined);
  await db?.end().catch(() => undefined);
  await stopRedis();
  if (pgStarted) await stopPostgres('immediate').catch(() => undefined);
  for (const dir of [tmp, pgDir]) if (dir) await rm(dir, { recursive: true, force: true });
});

describe('a probe worker whose Redis or Postgres restarts', () => {
  it('probes every camera before anything restarts', async () => {
    const startedAt = Date.now();
    worker = startWorker();
    const took = await waitForWholeSlot(startedAt, 30_000);
    console.log(`first whole slot ${took} ms after the worker was spawned`);
    expect(took, workerTail()).not.toBeNull();
    expect(alive(worker), workerTail()).toBe(true);
  }, 40_000);

  it('carries on by itself after Redis is killed and started again, empty', async () => {
    expect(alive(worker), workerTail()).toBe(true);
    await stopRedis();
    await sleep(OUTAGE_MS);
    redis = await startRedis();
    const backAt = Date.now();
    const took = await waitForWholeSlot(backAt, RECOVERY_DEADLINE_MS);
    console.log(`whole slot ${took} ms after Redis came back`);
    expect(
      took,
      `no whole slot within ${RECOVERY_DEADLINE_MS} ms of Redis' return; ${workerTail()}`,
    ).not.toBeNull();
    expect(alive(worker), workerTail()).toBe(true);
  }, 60_000);

  it('carries on by itself after Postgres is stopped and started again', async () => {
    expect(alive(worker), workerTail()).toBe(true);
    await stopPostgres('fast');
    await sleep(OUTAGE_MS);
    await startPostgres();
    const backAt = Date.now();
    const took = await waitForWholeSlot(backAt, RECOVERY_DEADLINE_MS);
    console.log(`whole slot ${took} ms after Postgres came back`);
    expect(
      took,
      `no whole slot within ${RECOVERY_DEADLINE_MS} ms of Postgres' return; ${workerTail()}`,
    ).not.toBeNull();
    expect(alive(worker), workerTail()).toBe(true);
  }, 60_000);
});
