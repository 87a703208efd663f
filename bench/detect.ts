import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import { CredentialVault } from '../src/cameras/credential-vault.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { createProbeWorker } from '../src/probing/worker.js';
import { bullConnection, createQueue, type ProbeJob, QUEUES } from '../src/queues.js';
import { startRtspCounty } from '../test/support/rtsp-county.js';
import { benchDatabase, benchSite } from './lib/bench-db.js';

// Detection time: a simulated camera goes dark → its state is offline. At the production interval of 10 s.
const CAMERAS = 50;
const TRIALS = 6;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const database = await benchDatabase();
const redisPrefix = `xlbench_${randomBytes(3).toString('hex')}:`;
const config = loadConfig({
  NODE_ENV: 'test',
  DATABASE_URL: database.url,
  XUELIANG_REDIS_PREFIX: redisPrefix,
});
const log = createLogger('warn');
const db = new pg.Pool({ connectionString: database.url, max: 4 });
const vault = new CredentialVault(config.credentialKeys);
const connection = bullConnection(config, 'bench-detect', log);
const queue = createQueue<ProbeJob>(config, QUEUES.probe, connection, log);
const county = await startRtspCounty(db, vault, await benchSite(db), CAMERAS, '127.60.0.1');
const worker = await createProbeWorker({ db, vault, config, log }, queue, connection);
try {
  await sleep(25_000); // every camera online
  const times: number[] = [];
  for (let i = 0; i < TRIALS; i++) {
    const cam = county.cameraIds[i] as string;
    await sleep(Math.random() * config.probe.intervalMs); // a fault at a random moment of the slot
    const at = Date.now();
    county.setFaults(cam, { offline: true });
    for (;;) {
      const { rows } = await db.query('SELECT state FROM camera_health WHERE camera_id = $1', [cam]);
      if (rows[0]?.state === 'offline') break;
      if (Date.now() - at > 60_000) throw new Error('bench(detect): not detected within 60 s');
      await sleep(100);
    }
    times.push((Date.now() - at) / 1000);
  }
  times.sort((a, b) => a - b);
  console.log(
    JSON.stringify({
      bench: 'detect',
      interval_s: config.probe.intervalMs / 1000,
      trials: TRIALS,
      detect_p50_s: Number((times[Math.floor(TRIALS / 2)] ?? 0).toFixed(1)),
      detect_max_s: Number((times.at(-1) ?? 0).toFixed(1)),
    }),
  );
} finally {
  await worker.close();
  await queue.close();
  connection.disconnect();
  await county.server.close();
  await db.end();
  await database.drop();
  const redis = new Redis(config.redisUrl);
  const keys = await redis.keys(`${redisPrefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
}
