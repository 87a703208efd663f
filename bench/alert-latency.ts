import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import pg from 'pg';
import WebSocket from 'ws';
import { AlertStage } from '../src/alerting/alert-stage.js';
import { appendFeed, type FeedKind, nudgeFeed } from '../src/alerting/feed-repo.js';
import { nudgeHealthEvents } from '../src/alerting/health-events.js';
import { hashPassword } from '../src/auth/passwords.js';
import { createSession } from '../src/auth/sessions.js';
import { loadConfig } from '../src/config.js';
import { withTransaction } from '../src/db.js';
import { HEALTH_EVENTS_WRITE_LOCK } from '../src/health/ledger-repo.js';
import { createLogger } from '../src/logger.js';
import { benchDatabase } from './lib/bench-db.js';

// State change → alert on a connected console socket, with 1,000 consoles on one API process: duty desks of
// many police districts and some bureau consoles. A change is a committed health event (a camera going offline
// or back online) that the alert stage, running here, turns into a feed entry; BENCH_SOURCE=feed instead
// appends the feed entry directly. Timed from the start of the writing transaction.
const TOWNS = 5;
const DISTRICTS_PER_TOWN = 20;
const DUTY_SOCKETS_PER_DISTRICT = 9;
const BUREAU_SOCKETS = 100;
const CHANGES = Number(process.env.BENCH_ALERTS ?? 500);
const MEAN_GAP_MS = 40;
const SOURCE = process.env.BENCH_SOURCE === 'feed' ? 'feed' : 'health-event';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** county → towns → police districts, each with a village and a site; returns the sites by district. */
async function buildTree(db: pg.Pool): Promise<{ district: string; site: string }[]> {
  const insert = async (kind: string, code: string, parent: string | null) =>
    (
      (
        await db.query<{ id: string }>(
          'INSERT INTO districts (kind, name, code, parent_id) VALUES ($1, $2, $2, $3) RETURNING id',
          [kind, code, parent],
        )
      ).rows[0] as { id: string }
    ).id;
  const county = await insert('county', 'C', null);
  const out: { district: string; site: string }[] = [];
  for (let t = 0; t < TOWNS; t++) {
    const town = await insert('town', `T${t}`, county);
    for (let d = 0; d < DISTRICTS_PER_TOWN; d++) {
      const district = await insert('police_district', `T${t}-PD${d}`, town);
      const village = await insert('village', `T${t}-PD${d}-V`, district);
      out.push({ district, site: await insert('site', `T${t}-PD${d}-S`, village) });
    }
  }
  return out;
}

async function user(db: pg.Pool, name: string, role: string, scope: string | null, hash: string) {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO users (username, display_name, role, scope_district_id, password_hash)
     VALUES ($1, $1, $2, $3, $4) RETURNING id`,
    [name, role, scope, hash],
  );
  return createSession(db, (rows[0] as { id: string }).id, 3600);
}

async function startApi(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn('node', ['--import', 'tsx', 'src/main.ts'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`bench(alert-latency): API exited ${child.exitCode}`);
    const ok = await fetch(`http://127.0.0.1:${env.XUELIANG_HTTP_PORT}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return child;
    if (Date.now() > deadline) throw new Error('bench(alert-latency): API not up within 30 s');
    await sleep(200);
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;
}

const database = await benchDatabase();
const redisPrefix = `xlbench_${randomBytes(3).toString('hex')}:`;
const db = new pg.Pool({ connectionString: database.url, max: 4 });
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const config = { redisPrefix };
const stageSub = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const sockets: WebSocket[] = [];
let api: ChildProcess | undefined;
let stage: AlertStage | undefined;
try {
  const places = await buildTree(db);
  const hash = await hashPassword('bench-password-1');
  const port = await freePort();
  api = await startApi({
    NODE_ENV: 'test',
    DATABASE_URL: database.url,
    XUELIANG_REDIS_PREFIX: redisPrefix,
    XUELIANG_HTTP_PORT: String(port),
    XUELIANG_MIGRATE_ON_START: 'false',
    LOG_LEVEL: 'warn',
  });

  // feed source: one alert per site, each change a feed entry about it; health-event source: one camera per site
  const alertOf = new Map<string, number>();
  const cameraOf = new Map<string, string>();
  for (const [i, { site }] of places.entries()) {
    const { rows: cams } = await db.query<{ id: string }>(
      'INSERT INTO cameras (site_id, name, gb_code) VALUES ($1, $2, $3) RETURNING id',
      [site, `cam-${i}`, `64042500001320${String(i).padStart(6, '0')}`],
    );
    cameraOf.set(site, (cams[0] as { id: string }).id);
    if (SOURCE !== 'feed') continue;
    const { rows } = await db.query<{ id: string }>(
      `INSERT INTO alerts (kind, place_id, cause, severity, camera_count, opened_at)
       VALUES ('group', $1, 'offline', 'critical', 3, now()) RETURNING id`,
      [site],
    );
    alertOf.set(site, Number((rows[0] as { id: string }).id));
  }

  // who is watching each district: its duty sockets plus every bureau socket
  const watchers = new Map<string, number>();
  const started = new Map<number, number>();
  /** health-event source: the change a (camera, feed kind) stands for */
  const seqOf = new Map<string, number>();
  const latencies: number[] = [];
  const lastReceipt = new Map<number, number>();
  const connect = (token: string) =>
    new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/api/v1/live`, {
        headers: { authorization: `Bearer ${token}` },
      });
      ws.on('message', (data) => {
        const msg = JSON.parse(data.toString()) as {
          type: string;
          kind: string;
          seq?: number;
          cameraId?: string;
        };
        if (msg.type === 'synced') resolve();
        if (msg.type !== 'alert') return;
        const seq = msg.seq ?? seqOf.get(`${msg.cameraId}:${msg.kind}`);
        const t0 = seq === undefined ? undefined : started.get(seq);
        if (seq === undefined || t0 === undefined) return;
        const now = performance.now();
        latencies.push(now - t0);
        lastReceipt.set(seq, now);
      });
      ws.once('error', reject);
      sockets.push(ws);
    });
  const pending: Promise<void>[] = [];
  for (const [i, { district }] of places.entries()) {
    const token = await user(db, `duty${i}`, 'duty', district, hash);
    for (let s = 0; s < DUTY_SOCKETS_PER_DISTRICT; s++) pending.push(connect(token));
    watchers.set(district, DUTY_SOCKETS_PER_DISTRICT + BUREAU_SOCKETS);
  }
  for (let b = 0; b < BUREAU_SOCKETS; b++)
    pending.push(connect(await user(db, `bureau${b}`, 'bureau', null, hash)));
  await Promise.all(pending);
  console.error(`bench(alert-latency): ${sockets.length} consoles connected`);

  const stageConfig = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: database.url,
    XUELIANG_REDIS_PREFIX: redisPrefix,
  });
  if (SOURCE !== 'feed') {
    stage = new AlertStage({ db, config: stageConfig, log: createLogger('warn') }, redis, stageSub);
    await stage.start();
  }
  const offline = new Set<string>();
  let expected = 0;
  const kinds: FeedKind[] = ['opened', 'grouped', 'acknowledged', 'resolved'];
  let place = places[0] as { district: string; site: string };
  for (let seq = 0; seq < CHANGES; seq++) {
    // health events come in pairs, down then up, so no node goes dark and nothing folds into a group alert
    if (SOURCE === 'feed' || seq % 2 === 0) {
      place = places[Math.floor(Math.random() * places.length)] as typeof place;
    }
    expected += watchers.get(place.district) ?? 0;
    started.set(seq, performance.now());
    if (SOURCE === 'feed') {
      const alertId = alertOf.get(place.site) as number;
      const [id] = await withTransaction(db, (tx) =>
        appendFeed(tx, [
          {
            alertId,
            kind: kinds[seq % kinds.length] as FeedKind,
            at: new Date(),
            placeId: place.site,
            severity: 'critical',
            payload: { alertId, alertKind: 'group', cause: 'offline', cameraCount: 3, seq },
          },
        ]),
      );
      await nudgeFeed(redis, config, id as number);
    } else {
      // the camera goes offline (an alert opens) or comes back (it resolves), as a probe worker records it
      const camera = cameraOf.get(place.site) as string;
      const down = !offline.has(camera);
      seqOf.set(`${camera}:${down ? 'opened' : 'resolved'}`, seq);
      await withTransaction(db, async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock_shared($1)', [HEALTH_EVENTS_WRITE_LOCK]);
        await tx.query(
          `INSERT INTO health_events (camera_id, at, from_state, to_state, to_reason) VALUES ($1, now(), $2, $3, $4)`,
          [camera, down ? 'online' : 'offline', down ? 'offline' : 'online', down ? 'connect_refused' : null],
        );
      });
      nudgeHealthEvents(redis, stageConfig);
      if (down) offline.add(camera);
      else offline.delete(camera);
    }
    await sleep(-Math.log(1 - Math.random()) * MEAN_GAP_MS); // changes arrive at random
  }
  const waitUntil = Date.now() + 10_000;
  while (latencies.length < expected && Date.now() < waitUntil) await sleep(50);

  latencies.sort((a, b) => a - b);
  const fanout = [...lastReceipt.entries()]
    .map(([seq, at]) => at - (started.get(seq) as number))
    .sort((a, b) => a - b);
  const ms = (v: number) => Number(v.toFixed(1));
  console.log(
    JSON.stringify({
      bench: 'alert-latency',
      source: SOURCE === 'feed' ? 'appendFeed+nudge' : 'health-event→alert stage',
      sockets: sockets.length,
      duty_sockets: places.length * DUTY_SOCKETS_PER_DISTRICT,
      bureau_sockets: BUREAU_SOCKETS,
      police_districts: places.length,
      alerts: CHANGES,
      receipts: latencies.length,
      missed: expected - latencies.length,
      p50_ms: ms(percentile(latencies, 50)),
      p99_ms: ms(percentile(latencies, 99)),
      max_ms: ms(latencies.at(-1) ?? 0),
      last_socket_p99_ms: ms(percentile(fanout, 99)),
    }),
  );
} finally {
  for (const ws of sockets) ws.terminate();
  await stage?.close();
  stageSub.disconnect();
  if (api?.pid) {
    const exited = new Promise((resolve) => api?.once('exit', resolve));
    api.kill('SIGTERM');
    await Promise.race([exited, sleep(5000)]);
  }
  await db.end();
  await database.drop();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${redisPrefix}*`, 'COUNT', 1000);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  redis.disconnect();
}
