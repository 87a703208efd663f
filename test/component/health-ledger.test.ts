import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HandshakeOutcome } from '../../src/health/types.js';
import { type ProbeOutcome, recordOutcomes } from '../../src/probing/probe-service.js';
import { buildCountyFixture, type CountyFixture, PASSWORD } from '../support/county-fixture.js';
import { login, startTestApi, type TestApi } from '../support/harness.js';

// The ledger from probe outcomes to stored health, intervals, durable events and the 95% figures, with
// hand-made outcomes at known times (the probes themselves are tested elsewhere).
let api: TestApi;
let fx: CountyFixture;
let bureau: { authorization: string };
const MIN = 60_000;
const t0 = new Date(Math.floor(Date.now() / MIN) * MIN - 120 * MIN);
const at = (minutes: number) => new Date(t0.getTime() + minutes * MIN);

beforeAll(async () => {
  api = await startTestApi({ env: { XUELIANG_PROBE_INTERVAL_MS: String(MIN) } });
  fx = await buildCountyFixture(api.deps.db);
  bureau = await login(api.app, 'bureau', PASSWORD);
  await api.deps.db.query('UPDATE cameras SET commissioned_at = $1', [at(-60)]);
});
afterAll(() => api.close());

const ctx = () => ({ db: api.deps.db, vault: api.deps.vault, config: api.config, log: api.deps.log });
const outcome = (cameraId: string, minutes: number, handshake: HandshakeOutcome): ProbeOutcome => ({
  cameraId,
  probedAt: at(minutes),
  handshake,
  status: handshake === 'ok' ? 200 : null,
  connectMs: 1,
  onvifPort: null,
  rtspMs: 2,
  stream: null,
  picture: null,
  error: null,
});
const record = (cameraId: string, minutes: number, handshake: HandshakeOutcome) =>
  recordOutcomes(ctx(), [
    { outcome: outcome(cameraId, minutes, handshake), slotAt: at(minutes), kind: 'slot' },
  ]);
const events = async (cameraId: string) =>
  (
    await api.deps.db.query(
      'SELECT from_state, to_state, to_reason FROM health_events WHERE camera_id = $1 ORDER BY id',
      [cameraId],
    )
  ).rows.map((r) => `${r.from_state}→${r.to_state}${r.to_reason ? `(${r.to_reason})` : ''}`);
const intervals = async (cameraId: string) =>
  (
    await api.deps.db.query(
      'SELECT from_at, to_at, state, reason FROM state_intervals WHERE camera_id = $1 ORDER BY from_at',
      [cameraId],
    )
  ).rows.map((r) => [
    (r.from_at.getTime() - t0.getTime()) / MIN,
    r.to_at ? (r.to_at.getTime() - t0.getTime()) / MIN : null,
    r.state,
    r.reason,
  ]);

describe('the health ledger', () => {
  it('goes online, then offline only after three failures, with one event per change', async () => {
    const cam = fx.camera.A1;
    expect((await record(cam, 0, 'ok'))[0]?.change?.to).toBe('online');
    const first = await record(cam, 1, 'network');
    expect(first[0]).toMatchObject({ change: null, reprobeSoon: true });
    await record(cam, 2, 'network');
    const third = await record(cam, 3, 'network');
    expect(third[0]?.change).toMatchObject({ from: 'online', to: 'offline', toReason: 'network' });
    expect(await events(cam)).toEqual(['unknown→online', 'online→offline(network)']);
    expect(await intervals(cam)).toEqual([
      [0, 3, 'online', null],
      [3, null, 'offline', 'network'],
    ]);
  });

  it('records a slot once: a duplicate or a second worker’s copy changes nothing', async () => {
    const cam = fx.camera.A1;
    expect(await record(cam, 3, 'ok')).toEqual([]);
    const { rows } = await api.deps.db.query(
      'SELECT count(*)::int AS n FROM probe_results WHERE camera_id = $1',
      [cam],
    );
    expect(rows[0].n).toBe(4);
  });

  it('after a restart a camera still down raises no second outage', async () => {
    // a new process would read the same stored health: the ledger keeps no state in memory
    await record(fx.camera.A1, 4, 'network');
    await record(fx.camera.A1, 5, 'stream');
    expect(await events(fx.camera.A1)).toEqual([
      'unknown→online',
      'online→offline(network)',
      'offline→offline(stream)',
    ]);
  });

  it('comes back online after two successes', async () => {
    await record(fx.camera.A1, 6, 'ok');
    expect((await record(fx.camera.A1, 7, 'ok'))[0]?.change).toMatchObject({
      from: 'offline',
      to: 'online',
    });
  });

  it('a silence of our own making is an unknown interval, blamed on nobody', async () => {
    // probes stop for 40 minutes (interval 1 min, gap after 4)
    await record(fx.camera.A1, 61, 'ok');
    const list = await intervals(fx.camera.A1);
    expect(list.slice(-3)).toEqual([
      [7, 11, 'online', null],
      [11, 61, 'unknown', 'monitoring_gap'],
      [61, null, 'online', null],
    ]);
  });

  it('an approved maintenance window puts the camera in maintenance and out of the figures', async () => {
    const admin = await login(api.app, 'admin', PASSWORD);
    const req = await api.app.inject({
      method: 'POST',
      url: '/api/v1/availability-exclusions',
      headers: admin,
      payload: {
        kind: 'maintenance',
        cameraId: fx.camera.A2,
        from: new Date(Date.now() - MIN).toISOString(),
        to: new Date(Date.now() + 60 * MIN).toISOString(),
        reason: '更换镜头',
      },
    });
    expect(req.statusCode).toBe(201);
    expect(req.json().status).toBe('requested');
    const approve = await api.app.inject({
      method: 'POST',
      url: `/api/v1/availability-exclusions/${req.json().id}/approve`,
      headers: bureau,
    });
    expect(approve.json()).toMatchObject({ status: 'approved' });
    expect(
      (
        await api.app.inject({
          method: 'POST',
          url: `/api/v1/availability-exclusions/${req.json().id}/approve`,
          headers: bureau,
        })
      ).statusCode,
    ).toBe(409);
    const applied = await record(fx.camera.A2, 119, 'network');
    expect(applied[0]?.health.state).toBe('maintenance');
  });

  it('the 95% figures of a node are sums over its cameras, per local day too', async () => {
    const res = await api.app.inject({
      url: `/api/v1/availability?nodeId=${fx.node.A1}&from=${at(0).toISOString()}&to=${at(30).toISOString()}`,
      headers: bureau,
    });
    expect(res.statusCode).toBe(200);
    const f = res.json().figures;
    // camera A1: online 0–3 and 7–11, offline 3–7, then our own gap 11–61 counted neither way
    expect(f.scheduledMs).toBe(11 * MIN);
    expect(f.onlineMs).toBe(7 * MIN);
    expect(f.gapMs + f.unknownMs).toBe(19 * MIN);
    expect(f.effectiveRate).toBeCloseTo(7 / 11);
    expect(res.json().meetsTarget).toBe(false);
    expect(
      res
        .json()
        .byDay.reduce((s: number, d: { figures: { scheduledMs: number } }) => s + d.figures.scheduledMs, 0),
    ).toBe(11 * MIN);
    const gap = await api.app.inject({
      url: `/api/v1/availability/gap?nodeId=${fx.node.A1}&from=${at(0).toISOString()}&to=${at(30).toISOString()}`,
      headers: bureau,
    });
    expect(gap.json()).toMatchObject({ reached: true, fixes: [{ cameraId: fx.camera.A1, lostMs: 4 * MIN }] });
  });

  it('the live figure and a camera’s health are scoped like the camera', async () => {
    const live = await api.app.inject({
      url: `/api/v1/availability/live?nodeId=${fx.node.county}`,
      headers: bureau,
    });
    expect(live.json().byState).toMatchObject({ online: 1, maintenance: 1 });
    expect(live.json().effectiveShare).toBe(1);
    const duty = await login(api.app, 'dutya1', PASSWORD);
    expect(
      (await api.app.inject({ url: `/api/v1/cameras/${fx.camera.A1}/health`, headers: duty })).json(),
    ).toMatchObject({
      state: 'online',
    });
    expect(
      (await api.app.inject({ url: `/api/v1/cameras/${fx.camera.B1}/health`, headers: duty })).statusCode,
    ).toBe(404);
    expect(
      (
        await api.app.inject({
          url: `/api/v1/availability?nodeId=${fx.node.B}&from=${at(0).toISOString()}&to=${at(1).toISOString()}`,
          headers: duty,
        })
      ).statusCode,
    ).toBe(404);
  });
});
