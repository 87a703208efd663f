import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { appendFeed, type FeedAppend } from '../src/alerting/feed-repo.js';
import { systemPrincipal } from '../src/auth/policy.js';
import { CredentialVault } from '../src/cameras/credential-vault.js';
import { loadConfig } from '../src/config.js';
import { createPool, withTransaction } from '../src/db.js';
import { createLogger } from '../src/logger.js';
import { dispatchNotifications } from '../src/notify/dispatcher.js';
import { webhookSignature } from '../src/notify/formats.js';
import { createRoute } from '../src/notify/routes-repo.js';
import { createNotifyWorker } from '../src/notify/worker.js';
import { bullConnection, createQueue, type NotifyJob, QUEUES } from '../src/queues.js';
import { benchDatabase, benchSite } from './lib/bench-db.js';

// Notifications per second through the webhook queue: feed entries → dispatcher → BullMQ → one notify worker
// (in this process) → a loopback receiver that checks each signature. Postgres and Redis are the local ones.
const ENTRIES = Number(process.env.BENCH_NOTIFICATIONS ?? 2000);
const CONCURRENCY = Number(process.env.BENCH_NOTIFY_CONCURRENCY ?? 16);
const SECRET = randomBytes(16).toString('hex');

const database = await benchDatabase();
const config = loadConfig({
  NODE_ENV: 'test',
  DATABASE_URL: database.url,
  XUELIANG_REDIS_PREFIX: `xlbench_${randomBytes(3).toString('hex')}:`,
  LOG_LEVEL: 'silent',
});
const log = createLogger('silent');
const db = createPool(config.databaseUrl, log);
const vault = new CredentialVault(config.credentialKeys);
const producer = bullConnection(config, 'bench-notify-producer', log, 'producer');
const consumer = bullConnection(config, 'bench-notify-worker', log);
const queue = createQueue<NotifyJob>(config, QUEUES.notify, producer, log);

const seen = new Set<string>();
let badSignatures = 0;
let done: () => void = () => undefined;
const allIn = new Promise<void>((resolve) => {
  done = resolve;
});
const receiver = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString();
    const ts = String(req.headers['x-xueliang-timestamp']);
    if (req.headers['x-xueliang-signature'] !== `sha256=${webhookSignature(SECRET, ts, body)}`)
      badSignatures++;
    seen.add(String(req.headers['x-xueliang-delivery']));
    res.writeHead(200).end();
    if (seen.size >= ENTRIES) done();
  });
});
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const port = (receiver.address() as AddressInfo).port;

let worker: ReturnType<typeof createNotifyWorker> | null = null;
try {
  const site = await benchSite(db);
  await createRoute(db, vault, systemPrincipal, {
    name: 'bench',
    channel: 'webhook',
    url: `http://127.0.0.1:${port}/hook`,
    secret: SECRET,
  });
  await dispatchNotifications(db, queue, log); // creates the cursor at the (empty) end of the feed
  const entries: FeedAppend[] = Array.from({ length: ENTRIES }, (_, i) => ({
    alertId: null,
    kind: 'opened',
    at: new Date(),
    placeId: site,
    severity: 'critical',
    payload: {
      alertKind: 'camera',
      cause: 'offline',
      cameraName: `B${i}`,
      groupId: null,
      placePath: ['B', 'B-T', 'B-PD', 'B-V', 'B-S'],
      openedAt: new Date().toISOString(),
    },
  }));
  for (let i = 0; i < ENTRIES; i += 500) {
    await withTransaction(db, (tx) => appendFeed(tx, entries.slice(i, i + 500)));
  }

  worker = createNotifyWorker({ db, vault, config, log }, consumer, { concurrency: CONCURRENCY });
  await worker.waitUntilReady();
  const t0 = performance.now();
  const jobs = await dispatchNotifications(db, queue, log);
  const dispatchMs = performance.now() - t0;
  await Promise.race([
    allIn,
    new Promise((_, reject) => setTimeout(() => reject(new Error('bench(notify): timed out')), 120_000)),
  ]);
  const seconds = (performance.now() - t0) / 1000;
  console.log(
    JSON.stringify({
      bench: 'notify',
      notifications: seen.size,
      jobs,
      seconds: Number(seconds.toFixed(2)),
      per_s: Math.round(seen.size / seconds),
      dispatch_ms: Math.round(dispatchMs),
      worker_concurrency: CONCURRENCY,
      bad_signatures: badSignatures,
      note: 'one worker in this process; dispatch included in the time; receiver on loopback answers at once',
    }),
  );
} finally {
  await worker?.close();
  await queue.close();
  producer.disconnect();
  consumer.disconnect();
  receiver.close();
  await db.end();
  await database.drop();
  const redis = new Redis(config.redisUrl);
  const keys = await redis.keys(`${config.redisPrefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
}
