import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type GstRtspServer, startGstRtspServer } from '../../sim/rtsp/gst-server.js';
import { type ProbeContext, probeCamera } from '../../src/probing/probe-service.js';
import { relayStatsReader } from '../../src/probing/relay-stats.js';
import { loadTargets } from '../../src/probing/targets.js';
import { RelayRegistry } from '../../src/relay/cluster-registry.js';
import { buildCountyFixture, type CountyFixture, PASSWORD } from '../support/county-fixture.js';
import { type AuthHeaders, freshDatabase, login, startTestApi, type TestApi } from '../support/harness.js';
import { probeTs, waitFor } from '../support/relay-rig.js';
import { liveStreamUrl, VideoClient } from '../support/video-client.js';

const GST_HOST = '127.62.0.2';
const CREDS = { username: 'cluster', password: 'Clu5ter:p@ss/%3' };
const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const RELAY_ENV = {
  XUELIANG_RELAY_IDLE_STOP_MS: '300',
  XUELIANG_RELAY_RESTART_BASE_MS: '200',
  XUELIANG_RELAY_RESTART_MAX_MS: '1000',
  XUELIANG_RELAY_STALL_MS: '3000',
};

let apis: TestApi[] = [];
const closed = new Set<TestApi>();
let gst: GstRtspServer;
let fx: CountyFixture;
let bureau: AuthHeaders;
let plain: Redis;

const baseOf = (api: TestApi) => `http://127.0.0.1:${(api.app.server.address() as AddressInfo).port}`;
const watch = (api: TestApi, camera: string) => VideoClient.open(liveStreamUrl(baseOf(api), camera), bureau);
const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function ownerOf(camera: string): Promise<TestApi> {
  const owner = await apis.find((a) => !closed.has(a))?.deps.relay.registry.owner(camera);
  const api = apis.find((a) => a.config.relay.instanceId === owner?.instanceId);
  if (!api) throw new Error(`no owner of ${camera}`);
  return api;
}

async function closeApi(api: TestApi) {
  if (closed.has(api)) return;
  closed.add(api);
  await api.close();
}

beforeAll(async () => {
  const databaseUrl = await freshDatabase();
  const first = await startTestApi({ databaseUrl, listen: true, env: RELAY_ENV });
  // a second instance over the same database and Redis prefix, as when the county scales out
  const second = await startTestApi({
    databaseUrl,
    listen: true,
    env: { ...RELAY_ENV, XUELIANG_REDIS_PREFIX: first.config.redisPrefix },
  });
  apis = [first, second];
  plain = new Redis(inject('redisUrl'));
  fx = await buildCountyFixture(first.deps.db);
  gst = await startGstRtspServer({
    host: GST_HOST,
    port: 0,
    mounts: ['/shared', '/alone', '/handover'].map((path) => ({
      path,
      pattern: 'moving' as const,
      width: 320,
      height: 180,
      fps: 25,
      auth: { user: CREDS.username, password: CREDS.password },
    })),
  });
  for (const [branch, path] of [
    ['A1', '/shared'],
    ['A2', '/alone'],
    ['B1', '/handover'],
  ] as const) {
    const sealed = first.deps.vault.seal(fx.camera[branch], CREDS);
    await first.deps.db.query(
      'UPDATE cameras SET rtsp_main_url = $2, credential_key_id = $3, credential_cipher = $4 WHERE id = $1',
      [fx.camera[branch], gst.url(path), sealed.keyId, sealed.cipher],
    );
  }
  bureau = await login(first.app, 'bureau', PASSWORD);
}, 60_000);

afterAll(async () => {
  for (const api of apis) await closeApi(api);
  plain?.disconnect();
  await gst?.close();
});

describe('the relay across two API instances', () => {
  it('ten viewers spread over both instances: one session at the camera, valid MPEG-TS for each', async () => {
    const camera = fx.camera.A1;
    const clients = await Promise.all(
      Array.from({ length: 10 }, (_, i) => watch(apis[i % 2] as TestApi, camera)),
    );
    await waitFor('every viewer live', () =>
      clients.every((c) => c.lastStatus === 'live' && c.received > 50_000),
    );
    await settle(1000);
    expect(await gst.sessions('/shared')).toEqual({ media: 1, sessions: 1 });

    const owner = await ownerOf(camera);
    const other = apis.find((a) => a !== owner) as TestApi;
    expect(owner.deps.relay.manager.stats(camera)).toMatchObject({ kind: 'copy', viewers: 6 }); // 5 + the peer
    expect(other.deps.relay.manager.stats(camera)).toMatchObject({ kind: 'remote', viewers: 5 });
    const metrics = await other.app.inject({ url: '/metrics' });
    expect(metrics.body).toMatch(/xueliang_relay_upstreams\{kind="remote"\} 1/);
    expect(await owner.deps.relay.registry.upstreams()).toBe(1);
    expect(await owner.deps.relay.registry.viewers()).toBe(10);

    await Promise.all(clients.map((c) => c.close()));
    for (const client of clients) {
      const probe = await probeTs(client.bytes());
      expect(probe.codec, probe.errors).toBe('h264');
      expect(probe.frames).toBeGreaterThan(10);
      expect(probe.firstKey).toBe(true);
    }
    await waitFor(
      'the camera session to end',
      async () => (await gst.sessions('/shared')).sessions === 0,
      65_000, // at worst the server's own 60 s session timeout, on a loaded machine
    );
    await waitFor(
      'the lease to be given back',
      async () => (await owner.deps.relay.registry.owner(camera)) === null,
    );
    expect(await owner.deps.relay.registry.viewers()).toBe(0);
  }, 120_000);

  it('the probe stream check reads a live relay instead of opening a session of its own', async () => {
    const api = apis[1] as TestApi;
    const prefix = api.config.redisPrefix;
    const ctx: ProbeContext = {
      db: api.deps.db,
      vault: api.deps.vault,
      config: api.config,
      log,
      relayStats: relayStatsReader(plain, prefix),
    };
    // not watched: the probe opens the camera itself
    const [alone] = await loadTargets(ctx, { cameraId: fx.camera.A2 });
    const own = await probeCamera(ctx, alone as NonNullable<typeof alone>, { stream: true, picture: false });
    expect(own.handshake).toBe('ok');
    expect(own.stream).not.toHaveProperty('source');

    const client = await watch(api, fx.camera.A1);
    await waitFor('live', () => client.lastStatus === 'live' && client.received > 0);
    const figures = relayStatsReader(plain, prefix);
    await waitFor("this relay's figures in Redis", async () => {
      const stats = await figures(fx.camera.A1);
      return stats?.instanceId === api.config.relay.instanceId && Date.now() - stats.at < 1000;
    });
    expect(await gst.sessions('/shared')).toMatchObject({ sessions: 1 });
    const [target] = await loadTargets(ctx, { cameraId: fx.camera.A1 });
    const outcome = await probeCamera(ctx, target as NonNullable<typeof target>, {
      stream: true,
      picture: false,
    });
    expect(outcome.handshake).toBe('ok');
    expect(outcome.stream).toMatchObject({
      outcome: 'ok',
      source: 'relay',
      relayInstance: api.config.relay.instanceId,
    });
    expect(outcome.stream?.frames).toBeGreaterThan(0);
    expect(await gst.sessions('/shared')).toMatchObject({ sessions: 1 });
    await client.close();
  }, 60_000);

  it('the owner going away: viewers on the other instance are told and resume from a new owner', async () => {
    const camera = fx.camera.B1;
    const clients = await Promise.all(
      Array.from({ length: 4 }, (_, i) => watch(apis[i % 2] as TestApi, camera)),
    );
    await waitFor('every viewer live', () => clients.every((c) => c.lastStatus === 'live' && c.received > 0));
    const owner = await ownerOf(camera);
    const survivor = apis.find((a) => a !== owner) as TestApi;
    const mine = clients.filter((_, i) => apis[i % 2] === survivor);
    const before = mine.map((c) => c.received);

    await closeApi(owner);
    await waitFor(
      'the survivor to own the camera',
      async () => (await ownerOf(camera).catch(() => null)) === survivor,
    );
    await waitFor('the survivors to be live again', () =>
      mine.every((c, i) => c.bytesAfter('live', before[i]).length > 20_000),
    );
    for (const client of mine) {
      const statuses = client.statuses.map((s) => s.status);
      expect(statuses.lastIndexOf('reconnecting')).toBeGreaterThan(statuses.indexOf('live'));
      expect(client.closed).toBeNull();
      const resumed = await probeTs(client.bytesAfter('reconnecting'));
      expect(resumed.codec, resumed.errors).toBe('h264');
      expect(resumed.firstKey).toBe(true);
    }
    // the owner's own viewers were closed with it (their consoles reconnect to a live instance)
    for (const client of clients.filter((c) => !mine.includes(c))) expect(client.closed).not.toBeNull();
    // the old owner's session ends when the server notices its connection gone: at worst at the server's own
    // 60 s session timeout, which a loaded machine has been seen to need
    await waitFor(
      'one session at the camera',
      async () => (await gst.sessions('/handover')).sessions === 1,
      65_000,
    );
    await Promise.all(mine.map((c) => c.close()));
  }, 120_000);
});

describe('the county-wide relay state in Redis', () => {
  const prefix = () => `${inject('runId')}:${randomBytes(3).toString('hex')}:`;
  const connections: Redis[] = [];
  const registry = (p: string, instanceId: string) => {
    const redis = new Redis(inject('redisUrl'));
    connections.push(redis);
    return new RelayRegistry(redis, p, instanceId);
  };
  afterAll(() => {
    for (const c of connections) c.disconnect();
  });

  it('a crashed instance stops counting once its heartbeats lapse; its lease is taken over', async () => {
    const p = prefix();
    const ghost = registry(p, 'ghost');
    const live = registry(p, 'live');
    const ghostOwner = { instanceId: 'ghost', internalUrl: 'http://127.0.0.1:1' };
    const liveOwner = { instanceId: 'live', internalUrl: 'http://127.0.0.1:2' };
    expect(await ghost.claim('cam-1', ghostOwner, 300, 10)).toEqual({ kind: 'ours' });
    expect(await ghost.admit({ viewerId: 'v1', userId: 'u1' }, 300, { county: 10, user: 10 })).toBe('ok');
    expect(await live.claim('cam-1', liveOwner, 5000, 10)).toEqual({ kind: 'owner', owner: ghostOwner });
    expect(await live.viewers()).toBe(1);
    expect(await live.upstreams()).toBe(1);
    await settle(400);
    expect(await live.viewers()).toBe(0);
    expect(await live.viewers('u1')).toBe(0);
    expect(await live.upstreams()).toBe(0);
    expect(await live.claim('cam-1', liveOwner, 5000, 10)).toEqual({ kind: 'ours' });
    // the ghost coming back cannot give away what is no longer its own
    await ghost.release('cam-1', ghostOwner);
    expect(await live.owner('cam-1')).toEqual(liveOwner);
  });

  it('caps upstreams and viewers county-wide and viewers per user, while heartbeats keep entries alive', async () => {
    const p = prefix();
    const a = registry(p, 'a');
    const b = registry(p, 'b');
    const ownerA = { instanceId: 'a', internalUrl: 'http://127.0.0.1:1' };
    const ownerB = { instanceId: 'b', internalUrl: 'http://127.0.0.1:2' };
    expect(await a.claim('cam-1', ownerA, 5000, 2)).toEqual({ kind: 'ours' });
    expect(await b.claim('cam-2', ownerB, 5000, 2)).toEqual({ kind: 'ours' });
    expect(await b.claim('cam-3', ownerB, 5000, 2)).toEqual({ kind: 'full' });
    expect(await a.claim('cam-1', ownerA, 5000, 2)).toEqual({ kind: 'ours' }); // a renewal is not a new upstream
    await a.release('cam-1', ownerA);
    expect(await b.claim('cam-3', ownerB, 5000, 2)).toEqual({ kind: 'ours' });

    const caps = { county: 3, user: 2 };
    expect(await a.admit({ viewerId: 'v1', userId: 'u1' }, 400, caps)).toBe('ok');
    expect(await b.admit({ viewerId: 'v2', userId: 'u1' }, 400, caps)).toBe('ok');
    expect(await b.admit({ viewerId: 'v3', userId: 'u1' }, 400, caps)).toBe('user_full');
    expect(await b.admit({ viewerId: 'v3', userId: 'u2' }, 400, caps)).toBe('ok');
    expect(await a.admit({ viewerId: 'v4', userId: 'u3' }, 400, caps)).toBe('county_full');
    for (let i = 0; i < 3; i++) {
      await settle(200);
      await a.refresh([{ viewerId: 'v1', userId: 'u1' }], 400);
    }
    expect(await a.viewers()).toBe(1); // b's lapsed, a's heartbeat kept v1
    expect(await a.viewers('u1')).toBe(1);
    await a.leave({ viewerId: 'v1', userId: 'u1' });
    expect(await a.viewers()).toBe(0);
  });
});
