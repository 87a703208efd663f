import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { cpus } from 'node:os';
import { Redis } from 'ioredis';
import pg from 'pg';
import WebSocket from 'ws';
import { createSession } from '../src/auth/sessions.js';
import { CredentialVault } from '../src/cameras/credential-vault.js';
import { loadConfig } from '../src/config.js';
import { benchDatabase, benchSite } from './lib/bench-db.js';
import { treeRssKb } from './lib/proc.js';
import { CLIP } from './lib/relay-clip.js';
import { cycles, latencyFigures, type Measured, measureWindow, ttffFigures } from './lib/relay-phases.js';
import { BenchViewer, descendants, ownCpuSeconds, round } from './lib/relay-viewer.js';

// The live relay, through the real endpoint (auth, scope check, audit row per viewer) of one API process
// (src/main.ts, a child): 1 camera × 200 viewers, 20 cameras × 5, node-rtsp-stream with the same cameras for
// comparison, time to first frame, send → viewer latency, and 1,000 open/close cycles. The cameras are the
// light RTSP responder in a process of its own (bench/lib/relay-source.ts). See bench/README.md.
const HOST = '127.0.0.1';
const FANOUT_VIEWERS = Number(process.env.BENCH_FANOUT_VIEWERS ?? 200);
const CAMERAS = 20;
const VIEWERS_PER_CAMERA = 5;
const NRS_CAMERAS = Number(process.env.BENCH_NRS_CAMERAS ?? 4);
const CYCLES = Number(process.env.BENCH_CYCLES ?? 1000);
const STAMPED_VIEWERS = 5;
const PASSWORD = 'bench-pass-1';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (line: string) => console.error(`bench(relay): ${line}`);

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Spawns a bench child that reads one JSON line and answers `READY <x>`; returns x. */
async function startChild(script: string, spec: unknown, children: ChildProcess[]): Promise<string> {
  const child = spawn('node', ['--import', 'tsx', script], {
    stdio: ['pipe', 'pipe', 'ignore'],
    detached: true,
  });
  children.push(child);
  child.stdin?.write(`${JSON.stringify(spec)}\n`);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n'))
        if (line.startsWith('EXIT ')) log(`${script}: ${line}`);
      out += chunk.toString();
      const m = /READY (\S+)/.exec(out);
      if (m) resolve(m[1] as string);
    });
    child.once('exit', (code) => reject(new Error(`${script} exited ${code}`)));
  });
}

async function startApi(env: Record<string, string>, children: ChildProcess[]): Promise<ChildProcess> {
  const child = spawn('node', ['--import', 'tsx', 'src/main.ts'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
    detached: true,
  });
  children.push(child);
  for (const deadline = Date.now() + 30_000; ; await sleep(200)) {
    if (child.exitCode !== null) throw new Error(`API exited ${child.exitCode}`);
    const up = await fetch(`http://${HOST}:${env.XUELIANG_HTTP_PORT}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) return child;
    if (Date.now() > deadline) throw new Error('API not up within 30 s');
  }
}

const config = loadConfig({ NODE_ENV: 'test' });
const vault = new CredentialVault(config.credentialKeys);
const redisPrefix = `xlbench_${randomBytes(3).toString('hex')}:`;
const database = await benchDatabase();
const db = new pg.Pool({ connectionString: database.url, max: 2 });
const children: ChildProcess[] = [];
const viewers: BenchViewer[] = [];
const ffmpegSeen = new Set<number>();
let api: ChildProcess | undefined;

try {
  const site = await benchSite(db);
  const ids = Array.from({ length: CAMERAS + 1 }, () => randomUUID());
  const sourcePort = Number(
    await startChild(
      'bench/lib/relay-source.ts',
      { host: HOST, cameras: ids.map((id) => ({ id, username: 'admin', password: PASSWORD })) },
      children,
    ),
  );
  const rtspUrl = (id: string) => `rtsp://${HOST}:${sourcePort}/cam/${id}/main`;
  const sealed = ids.map((id) => vault.seal(id, { username: 'admin', password: PASSWORD }));
  await db.query(
    `INSERT INTO cameras (id, site_id, name, gb_code, rtsp_main_url, credential_key_id, credential_cipher, commissioned_at)
     SELECT id, $2, 'R' || n, '6404250000133' || lpad(n::text, 7, '0'), url, k, c, now() - interval '1 day'
       FROM unnest($1::uuid[], $3::text[], $4::text[], $5::bytea[]) WITH ORDINALITY AS t(id, url, k, c, n)`,
    [ids, site, ids.map(rtspUrl), sealed.map((s) => s.keyId), sealed.map((s) => s.cipher)],
  );
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO users (username, display_name, role, password_hash) VALUES ('bench', 'bench', 'bureau', 'x') RETURNING id`,
  );
  const auth = { authorization: `Bearer ${await createSession(db, (rows[0] as { id: string }).id, 3600)}` };

  const port = await freePort();
  api = await startApi(
    {
      NODE_ENV: 'test',
      DATABASE_URL: database.url,
      XUELIANG_REDIS_PREFIX: redisPrefix,
      XUELIANG_HTTP_HOST: HOST,
      XUELIANG_HTTP_PORT: String(port),
      XUELIANG_MIGRATE_ON_START: 'false',
      XUELIANG_RELAY_IDLE_STOP_MS: '0',
      XUELIANG_RELAY_MAX_VIEWERS_PER_USER: '1000',
      LOG_LEVEL: 'warn',
    },
    children,
  );
  const apiPid = api.pid as number;
  const watchFfmpeg = setInterval(() => {
    for (const p of descendants(apiPid)) if (p.name === 'ffmpeg') ffmpegSeen.add(p.pid);
  }, 200);
  const streamUrl = (id: string) => `ws://${HOST}:${port}/api/v1/cameras/${id}/live-stream`;
  const open = (id: string, stamps = false) => {
    const v = new BenchViewer(streamUrl(id), auth, stamps);
    viewers.push(v);
    return v;
  };
  const closeAll = async () => {
    await Promise.all(viewers.splice(0).map((v) => v.close()));
  };
  const idleApi = await measureWindow(apiPid, [], 3);

  // 1 camera × 200 viewers
  const fanCam = ids[CAMERAS] as string;
  const firstViewer = open(fanCam, true);
  const coldMs = await firstViewer.firstFrame;
  const connectCpu0 = process.hrtime.bigint();
  const cpuBefore = ownCpuSeconds(apiPid);
  for (let i = 1; i < FANOUT_VIEWERS; i += 20) {
    const batch = Array.from({ length: Math.min(20, FANOUT_VIEWERS - i) }, (_, j) =>
      open(fanCam, i + j < STAMPED_VIEWERS),
    );
    await Promise.all(batch.map((v) => v.firstFrame));
  }
  const connectCpuMs = (ownCpuSeconds(apiPid) - cpuBefore) * 1000;
  const connectWallMs = Number(process.hrtime.bigint() - connectCpu0) / 1e6;
  const joinMs = viewers.slice(1).map((v) => v.firstFrameMs ?? Number.NaN);
  log(`${viewers.length} viewers of one camera; measuring`);
  await sleep(3000);
  const fanout: Measured = await measureWindow(apiPid, viewers, 10);
  await closeAll();
  await sleep(1500);

  // 20 cameras × 5 viewers
  const cams = ids.slice(0, CAMERAS);
  const firsts = cams.map((id, i) => open(id, i < STAMPED_VIEWERS));
  const coldAtOnce = await Promise.all(firsts.map((v) => v.firstFrame));
  for (let k = 1; k < VIEWERS_PER_CAMERA; k++) await Promise.all(cams.map((id) => open(id).firstFrame));
  log(`${viewers.length} viewers of ${CAMERAS} cameras; measuring`);
  await sleep(3000);
  const many: Measured = await measureWindow(apiPid, viewers, 10);
  await closeAll();
  await sleep(1500);

  // node-rtsp-stream: the same source, NRS_CAMERAS cameras × 5 viewers
  const credUrl = (id: string) => rtspUrl(id).replace('rtsp://', `rtsp://admin:${PASSWORD}@`);
  const ports = await startChild(
    'bench/lib/relay-baseline.ts',
    { cameras: cams.slice(0, NRS_CAMERAS).map((id) => ({ url: credUrl(id) })) },
    children,
  );
  const nrsPid = children.at(-1)?.pid as number;
  const nrsViewers = ports.split(',').flatMap((p) =>
    Array.from({ length: VIEWERS_PER_CAMERA }, () => {
      const ws = new WebSocket(`ws://${HOST}:${p}`, { perMessageDeflate: false });
      const counted = { bytes: 0, ws };
      ws.on('message', (data: Buffer) => {
        counted.bytes += data.length;
      });
      ws.on('error', () => {});
      return counted;
    }),
  );
  log(`node-rtsp-stream: ${nrsViewers.length} viewers of ${NRS_CAMERAS} cameras; measuring`);
  await sleep(5000);
  const silent = nrsViewers.filter((v) => v.bytes === 0).length;
  if (silent > 0)
    log(
      `node-rtsp-stream: ${silent} viewers got nothing; its processes: ${JSON.stringify(descendants(nrsPid))}`,
    );
  const nrs: Measured = await measureWindow(nrsPid, nrsViewers, 10);
  for (const v of nrsViewers) v.ws.terminate();

  // open/close cycles
  const cycled = await cycles(apiPid, cams, CYCLES, (id) => open(id));
  viewers.splice(0);
  await sleep(1000);
  const audit = (
    await db.query<{ n: number; open: number }>(
      'SELECT count(*)::int AS n, count(*) FILTER (WHERE ended_at IS NULL)::int AS open FROM video_sessions',
    )
  ).rows[0] as { n: number; open: number };
  clearInterval(watchFfmpeg);

  const relayPerCamera = (many.nodeCores - idleApi.nodeCores + many.childCores) / CAMERAS;
  const nrsPerCamera = (nrs.nodeCores + nrs.childCores) / NRS_CAMERAS;
  const gopMs = (1000 * CLIP.gop) / CLIP.fps;
  console.log(
    JSON.stringify({
      bench: 'relay',
      machine_cores: cpus().length,
      clip: `${CLIP.width}x${CLIP.height} ${CLIP.fps} fps, GOP ${gopMs} ms, ${CLIP.kbps} kbit/s CBR`,
      api_idle_cores: round(idleApi.nodeCores),
      fanout_viewers: FANOUT_VIEWERS,
      fanout_node_cores: round(fanout.nodeCores),
      fanout_node_cores_over_idle: round(fanout.nodeCores - idleApi.nodeCores),
      fanout_ffmpeg_cores: round(fanout.childCores),
      fanout_node_rss_mb: fanout.nodeRssMb,
      fanout_viewer_mbps_min: fanout.minViewerMbps,
      fanout_connect_cpu_ms: Math.round(connectCpuMs),
      fanout_connect_wall_ms: Math.round(connectWallMs),
      many_cameras: CAMERAS,
      many_viewers: CAMERAS * VIEWERS_PER_CAMERA,
      many_node_cores: round(many.nodeCores),
      many_ffmpeg_cores: round(many.childCores),
      many_node_rss_mb: many.nodeRssMb,
      many_tree_rss_mb: Math.round(treeRssKb(apiPid) / 1024),
      many_viewer_mbps_min: many.minViewerMbps,
      relay_cores_per_camera: round(relayPerCamera, 4),
      nrs_cameras: NRS_CAMERAS,
      nrs_cores_total: round(nrs.nodeCores + nrs.childCores),
      nrs_cores_per_camera: round(nrsPerCamera, 4),
      nrs_viewer_mbps_min: nrs.minViewerMbps,
      relay_vs_nrs_cpu: round(relayPerCamera / nrsPerCamera),
      ...ttffFigures(coldMs, coldAtOnce, joinMs, gopMs),
      ...latencyFigures('fanout', fanout.latenciesMs),
      ...latencyFigures('many', many.latenciesMs),
      windows_vanished_processes: fanout.vanished + many.vanished + nrs.vanished,
      ...cycled,
      audit_rows: audit.n,
      audit_rows_open: audit.open,
      ffmpeg_runs_seen: ffmpegSeen.size,
    }),
  );
} finally {
  await Promise.all(viewers.map((v) => v.close()));
  if (api?.pid && api.exitCode === null) {
    process.kill(api.pid, 'SIGTERM');
    await Promise.race([new Promise((r) => api?.once('exit', r)), sleep(8000)]);
  }
  for (const child of children) {
    child.stdin?.end();
    try {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {}
  }
  await sleep(500);
  const left = [...ffmpegSeen].filter((pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  });
  if (left.length > 0) console.error(`bench(relay): ffmpeg left after the API stopped: ${left.join(' ')}`);
  for (const pid of left) process.kill(pid, 'SIGKILL');
  await db.end();
  await database.drop();
  const redis = new Redis(config.redisUrl);
  const keys = await redis.keys(`${redisPrefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
}
