import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAlertStageOnce } from '../../src/alerting/alert-stage.js';
import type { HandshakeOutcome } from '../../src/health/types.js';
import { type ProbeOutcome, recordOutcomes } from '../../src/probing/probe-service.js';
import { buildCountyFixture, type CountyFixture } from '../support/county-fixture.js';
import { startTestApi, type TestApi } from '../support/harness.js';

// The alerting stage over the real ledger: probe outcomes at known times → health events → alerts and feed
// entries. The probes themselves, and the push to consoles, are tested elsewhere.
let api: TestApi;
let fx: CountyFixture;
const MIN = 60_000;
const t0 = new Date(Math.floor(Date.now() / MIN) * MIN - 240 * MIN);
const at = (minutes: number) => new Date(t0.getTime() + minutes * MIN);
/** the 40 cameras of one more site, A1 's "uplink" site, and 20 elsewhere in the village that stay up */
let uplinkSite: string;
let uplinkCameras: string[] = [];

beforeAll(async () => {
  api = await startTestApi({ env: { XUELIANG_PROBE_INTERVAL_MS: String(MIN) } });
  fx = await buildCountyFixture(api.deps.db);
  const db = api.deps.db;
  uplinkSite = (
    await db.query(
      `INSERT INTO districts (kind, name, code, parent_id) VALUES ('site', '上行站点', 'UPLINK-1', $1) RETURNING id`,
      [fx.node.A1v],
    )
  ).rows[0].id;
  const insert = async (siteId: string, n: number, prefix: string) =>
    (
      await db.query(
        `INSERT INTO cameras (site_id, name, gb_code)
         SELECT $1, $2 || i, $3 || lpad(i::text, 6, '0') FROM generate_series(1, $4) AS i RETURNING id`,
        [siteId, prefix, prefix === 'U' ? '64042500001321' : '64042500001322', n],
      )
    ).rows.map((r) => r.id as string);
  uplinkCameras = await insert(uplinkSite, 40, 'U');
  await insert(fx.node.A1s, 20, 'S');
  await db.query('UPDATE cameras SET commissioned_at = $1', [at(-60)]);
});
afterAll(() => api.close());

const ctx = () => ({ db: api.deps.db, vault: api.deps.vault, config: api.config, log: api.deps.log });
const stage = () => runAlertStageOnce({ db: api.deps.db, config: api.config, log: api.deps.log });
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
/** each camera's slot at `minutes` (whole minutes only: one slot per camera) */
const probe = (cameraIds: readonly string[], minutes: number, handshake: HandshakeOutcome) =>
  recordOutcomes(
    ctx(),
    cameraIds.map((id) => ({
      outcome: outcome(id, minutes, handshake),
      slotAt: at(minutes),
      kind: 'slot' as const,
    })),
  );
/** three failed slots take a camera offline; two good ones bring it back */
const takeDown = async (
  cameraIds: readonly string[],
  from: number,
  handshake: HandshakeOutcome = 'network',
) => {
  for (let m = from; m < from + 3; m++) await probe(cameraIds, m, handshake);
};
const bringUp = async (cameraIds: readonly string[], from: number) => {
  for (let m = from; m < from + 2; m++) await probe(cameraIds, m, 'ok');
};
const drain = async () => {
  while ((await stage()).more) {
    // catch up batch by batch
  }
};

const alertsOf = async (cameraId: string) =>
  (
    await api.deps.db.query(
      `SELECT cause, severity, status, group_id FROM alerts WHERE camera_id = $1 ORDER BY id`,
      [cameraId],
    )
  ).rows;
const feedFor = async (alertId: number) =>
  (
    await api.deps.db.query('SELECT kind FROM alert_feed WHERE alert_id = $1 ORDER BY id', [alertId])
  ).rows.map((r) => r.kind);

describe('alerting stage', () => {
  it('opens one alert per camera and cause, and the probe resolves it', async () => {
    const cam = fx.camera.B1;
    await bringUp([cam], 0);
    await takeDown([cam], 2);
    await drain();
    await drain(); // nothing new: no second alert
    const [alert] = await alertsOf(cam);
    expect(await alertsOf(cam)).toHaveLength(1);
    expect(alert).toMatchObject({ cause: 'offline', severity: 'critical', status: 'open', group_id: null });
    const { rows } = await api.deps.db.query(
      `SELECT f.kind, f.ancestors, f.payload FROM alert_feed f JOIN alerts a ON a.id = f.alert_id
        WHERE a.camera_id = $1`,
      [cam],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0].kind).toBe('opened');
    expect(rows[0].ancestors).toContain(fx.node.B1);
    expect(rows[0].payload).toMatchObject({ cause: 'offline', cameraName: '摄像机B1', alertKind: 'camera' });
    expect(rows[0].payload.placePath.length).toBe(5);

    await bringUp([cam], 5);
    await drain();
    expect(await alertsOf(cam)).toMatchObject([{ status: 'resolved' }]);
  });

  it('raises an auth failure as its own cause, resolving the offline one', async () => {
    const cam = fx.camera.A2;
    await bringUp([cam], 0);
    await takeDown([cam], 2);
    await probe([cam], 5, 'ok');
    await takeDown([cam], 6, 'auth');
    await drain();
    expect(await alertsOf(cam)).toMatchObject([
      { cause: 'offline', status: 'resolved' },
      { cause: 'auth_failure', severity: 'major', status: 'open' },
    ]);
  });

  it('folds forty cameras of one site going dark into one site alert, the first one superseded', async () => {
    await bringUp(uplinkCameras, 10);
    await drain();
    // the first camera an instant ahead of the others, then the rest in a few batches
    await takeDown(uplinkCameras.slice(0, 1), 12);
    await drain();
    const first = (await alertsOf(uplinkCameras[0] as string))[0];
    expect(first).toMatchObject({ status: 'open', group_id: null });
    for (let i = 1; i < 40; i += 13) await takeDown(uplinkCameras.slice(i, i + 13), 12);
    await drain();

    const top = await api.deps.db.query(
      `SELECT id, kind, place_id, camera_count, detail FROM alerts
        WHERE status <> 'resolved' AND group_id IS NULL AND place_id = $1`,
      [uplinkSite],
    );
    expect(top.rows).toHaveLength(1);
    expect(top.rows[0]).toMatchObject({ kind: 'group', camera_count: 40, detail: 'site_down' });
    const groupId = Number(top.rows[0].id);
    const folded = await api.deps.db.query('SELECT count(*)::int AS n FROM alerts WHERE group_id = $1', [
      groupId,
    ]);
    expect(folded.rows[0].n).toBe(40);
    // the console saw: the first camera's alert, then the group that superseded it, then the group growing
    const firstAlert = await api.deps.db.query(
      `SELECT id FROM alerts WHERE camera_id = $1 AND status <> 'resolved'`,
      [uplinkCameras[0]],
    );
    expect(await feedFor(Number(firstAlert.rows[0].id))).toEqual(['opened', 'superseded']);
    const groupFeed = await feedFor(groupId);
    expect(groupFeed[0]).toBe('grouped');
    expect(groupFeed.length).toBeLessThanOrEqual(4);
    // nothing else of the 40 went out as a camera alert of its own
    const opened = await api.deps.db.query(
      `SELECT count(*)::int AS n FROM alert_feed f JOIN alerts a ON a.id = f.alert_id
        WHERE f.kind = 'opened' AND a.camera_id = ANY($1::uuid[])`,
      [uplinkCameras],
    );
    expect(opened.rows[0].n).toBe(1);

    // back up: the cameras' alerts resolve, and the group with its last one
    await bringUp(uplinkCameras, 20);
    await drain();
    const after = await api.deps.db.query('SELECT status, camera_count FROM alerts WHERE id = $1', [groupId]);
    expect(after.rows[0].status).toBe('resolved');
    expect((await feedFor(groupId)).at(-1)).toBe('resolved');
  });

  it('raises nothing for a camera inside an approved maintenance window', async () => {
    const cam = fx.camera.A1;
    await api.deps.db.query(
      `INSERT INTO availability_exclusions (kind, camera_id, from_at, to_at, reason, status)
       VALUES ('maintenance', $1, now() - interval '1 hour', now() + interval '1 hour', '检修', 'approved')`,
      [cam],
    );
    await takeDown([cam], 30);
    await drain();
    expect(await alertsOf(cam)).toEqual([]);
    await api.deps.db.query('DELETE FROM availability_exclusions WHERE camera_id = $1', [cam]);
  });

  it('gives every event to exactly one of two stages running at once, and never twice', async () => {
    const cams = uplinkCameras.slice(0, 5);
    await takeDown(cams, 40);
    const runs = await Promise.all([stage(), stage(), stage()]);
    await drain();
    expect(runs.filter((r) => r.events > 0).length).toBeLessThanOrEqual(1);
    const { rows } = await api.deps.db.query(
      `SELECT camera_id, count(*)::int AS n FROM alerts
        WHERE camera_id = ANY($1::uuid[]) AND cause = 'offline' AND status <> 'resolved' GROUP BY camera_id`,
      [cams],
    );
    expect(rows).toHaveLength(5);
    expect(rows.every((r) => r.n === 1)).toBe(true);
    const cursor = await api.deps.db.query(`SELECT last_id FROM stage_cursors WHERE stage = 'alerts'`);
    const max = await api.deps.db.query('SELECT max(id) AS id FROM health_events');
    expect(cursor.rows[0].last_id).toBe(max.rows[0].id);
  });

  it('raises a session-limit alert when every slot is refused for want of a session, and resolves it', async () => {
    const cam = uplinkCameras[39] as string;
    const sessions = (now: Date) =>
      runAlertStageOnce(
        { db: api.deps.db, config: api.config, log: api.deps.log },
        { checkSessions: true, now },
      );
    for (let m = 60; m < 65; m++) await probe([cam], m, 'session_limit');
    await sessions(at(65));
    expect((await alertsOf(cam)).filter((a) => a.cause === 'session_limit')).toEqual([]);
    await probe([cam], 65, 'session_limit');
    await sessions(at(66));
    await sessions(at(66)); // still one
    expect((await alertsOf(cam)).filter((a) => a.cause === 'session_limit')).toMatchObject([
      { status: 'open', severity: 'major' },
    ]);
    await probe([cam], 66, 'ok');
    await sessions(at(67));
    expect((await alertsOf(cam)).filter((a) => a.cause === 'session_limit')).toMatchObject([
      { status: 'resolved' },
    ]);
  });
});
