import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readFeed } from '../../src/alerting/feed-repo.js';
import { type SweepConfig, sweepTickets } from '../../src/tickets/sweep.js';
import { buildCountyFixture, type CountyFixture } from '../support/county-fixture.js';
import { startTestApi, type TestApi } from '../support/harness.js';

let api: TestApi;
let fx: CountyFixture;
let config: SweepConfig;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
// near the real clock: contracts are in force around today
const BASE = Math.floor(Date.now() / MINUTE) * MINUTE;
const at = (minutes: number) => new Date(BASE + minutes * MINUTE);
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]);
let serial = 100;

beforeAll(async () => {
  api = await startTestApi();
  fx = await buildCountyFixture(api.deps.db);
  config = api.config;
});
afterAll(() => api.close());
beforeEach(async () => {
  await api.deps.db.query('TRUNCATE tickets, alerts, alert_feed, camera_health, camera_snapshots CASCADE');
});

const q = <T extends object>(sql: string, values: unknown[] = []) =>
  api.deps.db.query<T>(sql, values).then((r) => r.rows);

/** A new camera at a site of the fixture (or any node given). */
async function camera(siteId: string, placeClass = 'village'): Promise<string> {
  serial += 1;
  const [row] = await q<{ id: string }>(
    'INSERT INTO cameras (site_id, name, gb_code, place_class) VALUES ($1, $2, $3, $4) RETURNING id',
    [siteId, `测试${serial}`, `64042500001320${String(serial).padStart(6, '0')}`, placeClass],
  );
  return (row as { id: string }).id;
}

async function health(cameraId: string, state: string, since: Date) {
  await q(
    `INSERT INTO camera_health (camera_id, state, since, memory) VALUES ($1, $2, $3, '{}')
     ON CONFLICT (camera_id) DO UPDATE SET state = EXCLUDED.state, since = EXCLUDED.since`,
    [cameraId, state, since],
  );
}

/** What the alert stage leaves behind when a camera breaks. */
async function fault(cameraId: string, since: Date, severity = 'critical', cause = 'offline') {
  await q(
    `INSERT INTO alerts (kind, camera_id, place_id, cause, severity, opened_at)
     SELECT 'camera', id, site_id, $2, $3, $4 FROM cameras WHERE id = $1`,
    [cameraId, cause, severity, since],
  );
  await health(cameraId, cause === 'offline' ? 'offline' : 'degraded', since);
}

async function heal(cameraId: string, since: Date) {
  await q(
    `UPDATE alerts SET status = 'resolved', resolved_at = $2 WHERE camera_id = $1 AND status <> 'resolved'`,
    [cameraId, since],
  );
  await health(cameraId, 'online', since);
}

const sweep = (now: Date) => sweepTickets(api.deps.db, config, now);
const ticketsOf = (cameraId: string) =>
  q<{ id: number; status: string; contractor_id: string; priority: string; sla_due_at: Date }>(
    'SELECT * FROM tickets WHERE camera_id = $1 ORDER BY id',
    [cameraId],
  );

describe('opening', () => {
  it('opens once the fault has lasted the threshold, for the contractor covering the camera', async () => {
    await q('INSERT INTO camera_snapshots (camera_id, taken_at, jpeg) VALUES ($1, $2, $3)', [
      fx.camera.A1,
      at(-45),
      JPEG,
    ]);
    await fault(fx.camera.A1, at(-29));
    await fault(fx.camera.B1, at(-40), 'major', 'picture');
    expect(await sweep(at(0))).toMatchObject({ opened: 1, reopened: 0, closed: 0, escalated: 0 });
    expect(await ticketsOf(fx.camera.A1)).toEqual([]);
    const [b1] = await ticketsOf(fx.camera.B1);
    expect(b1).toMatchObject({ status: 'open', contractor_id: fx.contractor.K2, priority: 'P2' });
    // a village camera: the contract's 48 h from the opening
    expect(b1?.sla_due_at).toEqual(at(48 * 60));

    const result = await sweep(at(1));
    expect(result.opened).toBe(1);
    const [a1] = await ticketsOf(fx.camera.A1);
    expect(a1).toMatchObject({ contractor_id: fx.contractor.K1, priority: 'P1' });
    const snaps = await q('SELECT role, taken_at FROM ticket_snapshots WHERE ticket_id = $1', [a1?.id]);
    expect(snaps).toEqual([{ role: 'last_good', taken_at: at(-45) }]);

    const feed = await readFeed(api.deps.db, 0, 10);
    expect(feed.at(-1)?.id).toBe(result.lastFeedId);
    expect(feed.at(-1)).toMatchObject({
      kind: 'ticket_opened',
      ticketId: a1?.id,
      severity: 'critical',
      payload: {
        ticketId: a1?.id,
        contractorId: fx.contractor.K1,
        cameraId: fx.camera.A1,
        cameraName: '摄像机A1',
        placeId: fx.node.A1s,
        placePath: ['节点county', '节点A', '节点A1', '节点A1v', '节点A1s'],
        cause: 'offline',
        priority: 'P1',
        slaDueAt: at(1 + 48 * 60).toISOString(),
        status: 'open',
      },
    });
    expect(feed.at(-1)?.ancestors).toContain(fx.node.A1);
    expect(await sweep(at(2))).toMatchObject({ opened: 0, lastFeedId: null });
  });

  it('gives a town-seat camera the town-seat hours and keeps a picture taken after the fault as at_fault', async () => {
    const cam = await camera(fx.node.A2s, 'town_seat');
    await q('INSERT INTO camera_snapshots (camera_id, taken_at, jpeg) VALUES ($1, $2, $3)', [
      cam,
      at(-5),
      JPEG,
    ]);
    await fault(cam, at(-60));
    await sweep(at(0));
    const [t] = await ticketsOf(cam);
    expect(t?.sla_due_at).toEqual(at(24 * 60));
    expect(await q('SELECT role FROM ticket_snapshots WHERE ticket_id = $1', [t?.id])).toEqual([
      { role: 'at_fault' },
    ]);
  });

  it('gives the ticket to the most specific contract in force, and none without one', async () => {
    const [k] = await q<{ id: string }>(
      `INSERT INTO contracts (contractor_id, reference, valid_from, valid_to, fault_threshold_minutes)
       VALUES ($1, 'HT-village', current_date - 1, current_date + 1, 5) RETURNING id`,
      [fx.contractor.K2],
    );
    await q('INSERT INTO contract_areas VALUES ($1, $2)', [k?.id, fx.node.A2v]);
    const [ended] = await q<{ id: string }>(
      `INSERT INTO contracts (contractor_id, reference, valid_from, valid_to)
       VALUES ($1, 'HT-ended', current_date - 30, current_date - 2) RETURNING id`,
      [fx.contractor.K1],
    );
    const [town] = await q<{ id: string }>(
      `INSERT INTO districts (kind, name, code, parent_id) VALUES ('town', '无合同镇', 'FX-C', $1) RETURNING id`,
      [fx.node.county],
    );
    await q('INSERT INTO contract_areas VALUES ($1, $2)', [ended?.id, town?.id]);
    const uncovered = await camera(town?.id as string);
    await fault(fx.camera.A2, at(-10));
    await fault(uncovered, at(-120));
    await sweep(at(0));
    // the village contract's own 5 minute threshold applies
    expect(await ticketsOf(fx.camera.A2)).toMatchObject([{ contractor_id: fx.contractor.K2 }]);
    expect(await ticketsOf(uncovered)).toEqual([]);
    await q('DELETE FROM contract_areas WHERE contract_id = $1', [k?.id]);
  });

  it('opens nothing for a camera in maintenance', async () => {
    await fault(fx.camera.A1, at(-120));
    await health(fx.camera.A1, 'maintenance', at(-60));
    expect((await sweep(at(0))).opened).toBe(0);
  });
});

describe('closing and reopening', () => {
  it('closes a ticket nobody repaired as recovered, with the picture after repair', async () => {
    await fault(fx.camera.A1, at(-60));
    await sweep(at(0));
    await heal(fx.camera.A1, at(10));
    await q('INSERT INTO camera_snapshots (camera_id, taken_at, jpeg) VALUES ($1, $2, $3)', [
      fx.camera.A1,
      at(35),
      JPEG,
    ]);
    expect((await sweep(at(39))).closed).toBe(0);
    expect((await sweep(at(40))).closed).toBe(1);
    const [t] = await q<{ id: number }>('SELECT * FROM tickets WHERE camera_id = $1', [fx.camera.A1]);
    expect(t).toMatchObject({ status: 'closed', close_reason: 'recovered', closed_at: at(40) });
    expect(await q('SELECT role FROM ticket_snapshots WHERE ticket_id = $1', [t?.id])).toEqual([
      { role: 'after_repair' },
    ]);
    expect(await q('SELECT kind, at FROM ticket_events WHERE ticket_id = $1 ORDER BY id', [t?.id])).toEqual([
      { kind: 'opened', at: at(0) },
      { kind: 'restored', at: at(10) },
      { kind: 'closed', at: at(40) },
    ]);
  });

  it('keeps a ticket while an alert of the camera is still open, even online', async () => {
    await fault(fx.camera.A1, at(-60));
    await sweep(at(0));
    await health(fx.camera.A1, 'online', at(5));
    expect((await sweep(at(120))).closed).toBe(0);
  });

  it('reopens the ticket when the fault returns within the window, else opens a new one', async () => {
    await fault(fx.camera.A1, at(-60));
    await sweep(at(0));
    await heal(fx.camera.A1, at(10));
    await sweep(at(60));
    const hours = config.tickets.reopenWithinHours;
    await fault(fx.camera.A1, at(60 + hours * 60 - 1));
    const reopened = await sweep(at(60 + hours * 60 + 30));
    expect(reopened).toMatchObject({ opened: 0, reopened: 1 });
    const [t] = await q('SELECT * FROM tickets WHERE camera_id = $1', [fx.camera.A1]);
    expect(t).toMatchObject({
      status: 'open',
      reopened_count: 1,
      closed_at: null,
      close_reason: null,
      sla_due_at: new Date(at(60 + hours * 60 + 30).getTime() + 48 * HOUR),
    });
    const feed = await readFeed(api.deps.db, (reopened.lastFeedId as number) - 1, 1);
    expect(feed[0]?.payload).toMatchObject({ reopened: true, status: 'open' });

    await heal(fx.camera.A1, at(5000));
    await sweep(at(5100));
    await fault(fx.camera.A1, at(5100 + hours * 60 + 1));
    expect(await sweep(at(5100 + hours * 60 + 40))).toMatchObject({ opened: 1, reopened: 0 });
    expect((await ticketsOf(fx.camera.A1)).map((x) => x.status)).toEqual(['closed', 'open']);
  });
});

describe('escalation', () => {
  it('escalates an overdue ticket once, to the bureau, as critical', async () => {
    await fault(fx.camera.A1, at(-60), 'minor', 'clock_drift');
    await sweep(at(0));
    expect((await sweep(at(48 * 60))).escalated).toBe(0);
    const result = await sweep(at(48 * 60 + 1));
    expect(result.escalated).toBe(1);
    const [entry] = await readFeed(api.deps.db, (result.lastFeedId as number) - 1, 1);
    expect(entry).toMatchObject({
      kind: 'ticket_escalated',
      severity: 'critical',
      ancestors: [fx.node.county],
      payload: { cameraId: fx.camera.A1, placeId: fx.node.A1s, priority: 'P3' },
    });
    expect((await sweep(at(50 * 60))).escalated).toBe(0);
  });
});

describe('two sweeps at once', () => {
  it('never opens a second ticket for a camera', async () => {
    const cams = await Promise.all(Array.from({ length: 12 }, () => camera(fx.node.B1s)));
    for (const cam of cams) await fault(cam, at(-60));
    const results = await Promise.all([sweep(at(0)), sweep(at(0)), sweep(at(0))]);
    expect(results.reduce((n, r) => n + r.opened, 0)).toBe(12);
    const [row] = await q<{ tickets: number; cameras: number; feed: number }>(
      `SELECT count(*) AS tickets, count(DISTINCT camera_id) AS cameras,
              (SELECT count(*) FROM alert_feed WHERE kind = 'ticket_opened') AS feed FROM tickets`,
    );
    expect(row).toEqual({ tickets: 12, cameras: 12, feed: 12 });
  });
});
