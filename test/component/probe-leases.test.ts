import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProbeLeases } from '../../src/probing/probe-leases.js';
import { probeShard, reprobeCamera } from '../../src/probing/probe-service.js';
import { slotIndex } from '../../src/probing/slots.js';
import { leaseConnection } from '../../src/queues.js';
import type { WorkerContext } from '../../src/worker-context.js';
import { buildCountyFixture } from '../support/county-fixture.js';
import { startTestApi, type TestApi } from '../support/harness.js';

// One probe of a camera at a time, across worker processes: a probe that outlasts its slot (a late job, a
// slow camera) is not joined by the next slot's probe from another process.
const HOST = '127.62.0.1';
const TIMEOUT_MS = 1200;
let api: TestApi;
let silent: Server;
let open = 0;
let maxOpen = 0;
let accepted = 0;
const sockets = new Set<Socket>();
const redises: Redis[] = [];
let cameraId: string;

beforeAll(async () => {
  api = await startTestApi({
    env: {
      XUELIANG_PROBE_INTERVAL_MS: '1000',
      XUELIANG_PROBE_SHARDS: '1',
      XUELIANG_PROBE_TIMEOUT_MS: String(TIMEOUT_MS),
      XUELIANG_PROBE_STREAM_EVERY: '10000',
      XUELIANG_PROBE_PICTURE_EVERY: '10000',
    },
  });
  const fx = await buildCountyFixture(api.deps.db);
  // a camera that takes the connection and never answers: each probe of it lasts its whole deadline
  silent = createServer((socket) => {
    accepted++;
    open++;
    maxOpen = Math.max(maxOpen, open);
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.resume(); // reads (and drops) the requests, so it sees the probe hang up
    socket.on('close', () => {
      open--;
      sockets.delete(socket);
    });
  });
  await new Promise<void>((r) => silent.listen(0, HOST, r));
  const port = (silent.address() as { port: number }).port;
  cameraId = randomUUID();
  const sealed = api.deps.vault.seal(cameraId, { username: 'admin', password: 'lease-pass-1' });
  await api.deps.db.query(
    `INSERT INTO cameras (id, site_id, name, gb_code, rtsp_main_url, credential_key_id, credential_cipher, commissioned_at)
     VALUES ($1, $2, 'Slow camera', '64042500001329999991', $3, $4, $5, now() - interval '1 day')`,
    [cameraId, fx.node.A1s, `rtsp://${HOST}:${port}/slow`, sealed.keyId, sealed.cipher],
  );
}, 60_000);

afterAll(async () => {
  for (const s of sockets) s.destroy();
  if (silent) await new Promise((r) => silent.close(r));
  for (const r of redises) r.disconnect();
  await api?.close();
});

/** A worker process's view: its own Redis connection and leases, as on another host. */
function processContext(): WorkerContext {
  const redis = leaseConnection(api.config, 'test-leases', api.deps.log);
  redises.push(redis);
  return {
    db: api.deps.db,
    vault: api.deps.vault,
    config: api.config,
    log: api.deps.log,
    leases: new ProbeLeases(redis, api.config.redisPrefix),
  };
}

const resultsOf = async (id: string) =>
  (
    await api.deps.db.query<{ slot_at: Date; handshake: string }>(
      'SELECT slot_at, handshake FROM probe_results WHERE camera_id = $1 ORDER BY slot_at',
      [id],
    )
  ).rows;

describe('probe leases', () => {
  it('two processes running one shard in overlapping slots take turns: one session at a time, both recorded', async () => {
    const slot = slotIndex(new Date(), 1000) - 10;
    const [a, b] = [processContext(), processContext()];
    // a busy shard answers null at once; the worker delays that job and runs it again, as here
    let busy = 0;
    const untilDone = async (run: () => Promise<unknown[] | null>) => {
      while ((await run()) === null) {
        busy++;
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    await Promise.all([untilDone(() => probeShard(a, 0, slot)), untilDone(() => probeShard(b, 0, slot + 1))]);
    expect(busy).toBeGreaterThan(0);
    expect(accepted).toBe(2);
    expect(maxOpen).toBe(1);
    const results = await resultsOf(cameraId);
    expect(results.map((r) => r.handshake)).toEqual(['network', 'network']);
  });

  it('a re-probe and the slot probe of a failing camera take turns too', async () => {
    [accepted, maxOpen] = [0, 0];
    const slot = slotIndex(new Date(), 1000) - 20;
    const [a, b] = [processContext(), processContext()];
    const [, again] = await Promise.all([probeShard(a, 0, slot), reprobeCamera(b, cameraId)]);
    // the re-probe does not wait: the slot probe running is as good a second look, or it ran first
    expect(maxOpen).toBe(1);
    expect(accepted).toBe(1 + again.length);
  });

  it('without the leases the same probes would overlap (the checks above can fail)', async () => {
    [accepted, maxOpen] = [0, 0];
    const slot = slotIndex(new Date(), 1000) - 30;
    const bare = { ...processContext(), leases: undefined };
    await Promise.all([
      probeShard(bare, 0, slot),
      probeShard(bare, 0, slot + 1),
      reprobeCamera(bare, cameraId),
    ]);
    expect(accepted).toBe(3);
    expect(maxOpen).toBe(3);
  });

  it('a lease is renewed and given back only by its holder, and frees itself when its holder dies', async () => {
    const redis = leaseConnection(api.config, 'test-leases', api.deps.log);
    redises.push(redis);
    const one = new ProbeLeases(redis, api.config.redisPrefix);
    const other = new ProbeLeases(redis, api.config.redisPrefix);
    const key = one.cameraKey(randomUUID());
    const token = await one.tryAcquire(key, 400);
    expect(token).not.toBeNull();
    expect(await other.tryAcquire(key, 400)).toBeNull();
    expect(await one.renew(key, token as string, 800)).toBe(true);
    await new Promise((r) => setTimeout(r, 500));
    expect(await other.tryAcquire(key, 400)).toBeNull();
    // a holder whose lease expired must not free or renew the next holder's
    await new Promise((r) => setTimeout(r, 400));
    const next = await other.tryAcquire(key, 400);
    expect(next).not.toBeNull();
    await one.release(key, token as string);
    expect(await one.renew(key, token as string, 5000)).toBe(false);
    expect(await one.tryAcquire(key, 400)).toBeNull();
    await other.release(key, next as string);
    expect(await one.tryAcquire(key, 400)).not.toBeNull();
  });
});
