import { describe, expect, it } from 'vitest';
import {
  type AlertRow,
  applyEntry,
  backoffMs,
  type FeedEntry,
  resumeFrom,
} from '../../src/console/lib/duty-alerts.js';
import { byUrgency, type Incident, reportState } from '../../src/console/lib/duty-incidents.js';
import { type Placed, project } from '../../src/console/lib/duty-map.js';
import { bands } from '../../src/console/lib/duty-timeline.js';
import { buildTree, formatRate, rateLevel } from '../../src/console/lib/duty-tree.js';
import { emptyWall, parseWall, place, removeAt } from '../../src/console/lib/duty-wall.js';
import { worstNow } from '../../src/console/lib/duty-worst.js';

const entry = (over: Partial<FeedEntry>): FeedEntry => ({
  type: 'alert',
  id: 1,
  kind: 'opened',
  at: '2026-01-01T00:00:00Z',
  severity: 'critical',
  alertId: 10,
  alertKind: 'camera',
  cause: 'offline',
  cameraId: 'c1',
  cameraName: '摄像机1',
  cameraCount: null,
  groupId: null,
  placePath: ['县', '镇'],
  openedAt: '2026-01-01T00:00:00Z',
  ...over,
});

describe('duty tree', () => {
  it('nests districts under their parents and cameras under their sites; the user’s node is the root', () => {
    const tree = buildTree(
      [
        { id: 'a1', kind: 'police_district', name: 'A1', parentId: 'a', lat: null, lon: null },
        { id: 'v', kind: 'village', name: 'V', parentId: 'a1', lat: null, lon: null },
        { id: 's', kind: 'site', name: 'S', parentId: 'v', lat: null, lon: null },
      ],
      [{ id: 'c', name: 'C', siteId: 's', lat: null, lon: null }],
    );
    expect(tree.map((n) => n.id)).toEqual(['a1']);
    const site = tree[0]?.children[0]?.children[0];
    expect(site?.children).toEqual([{ id: 'c', label: 'C', kind: 'camera', isCamera: true, children: [] }]);
  });

  it('reads rates against the 95% line without rounding up to it', () => {
    expect(rateLevel(0.95)).toBe('good');
    expect(rateLevel(0.9499)).toBe('bad');
    expect(rateLevel(null)).toBe('unknown');
    expect(formatRate(0.94999)).toBe('94.9%');
    expect(formatRate(1)).toBe('100.0%');
    expect(formatRate(null)).toBe('—');
  });
});

describe('duty alert feed', () => {
  it('puts a new alert on top, updates its status in place, and drops a camera alert folded into a group', () => {
    let rows: AlertRow[] = applyEntry([], entry({}));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: 10, status: 'open', cameraName: '摄像机1' });
    rows = applyEntry(rows, entry({ id: 2, kind: 'acknowledged', at: '2026-01-01T00:01:00Z' }));
    expect(rows[0]).toMatchObject({ status: 'acknowledged', acknowledgedAt: '2026-01-01T00:01:00Z' });
    rows = applyEntry(rows, entry({ id: 3, kind: 'resolved' }));
    expect(rows[0]?.status).toBe('resolved');
    rows = applyEntry(rows, entry({ id: 4, kind: 'superseded' }));
    expect(rows).toEqual([]);
    // a group opens: its row; a camera alert opened inside it: none
    rows = applyEntry(
      rows,
      entry({ id: 5, kind: 'grouped', alertId: 20, alertKind: 'group', cameraCount: 2 }),
    );
    rows = applyEntry(rows, entry({ id: 6, kind: 'opened', alertId: 21, groupId: 20 }));
    expect(rows.map((r) => [r.id, r.kind, r.status, r.cameraCount])).toEqual([[20, 'group', 'open', 2]]);
    // a resolved entry of an alert never seen adds nothing
    expect(applyEntry([], entry({ kind: 'resolved' }))).toEqual([]);
  });

  it('resumes from the larger of the synced lastId and the last entry id', () => {
    let since: number | null = null;
    since = resumeFrom(since, { type: 'hello' });
    expect(since).toBeNull();
    since = resumeFrom(since, { type: 'synced', lastId: 7 });
    since = resumeFrom(since, { type: 'alert', id: 9 });
    since = resumeFrom(since, { type: 'synced', lastId: 8 });
    expect(since).toBe(9);
    expect(backoffMs(0)).toBe(500);
    expect(backoffMs(10)).toBe(10_000);
  });
});

describe('duty video wall', () => {
  it('fills the first free tile, moves a camera already on the wall, refuses a full layout', () => {
    const a = { id: 'a', name: 'A' };
    const b = { id: 'b', name: 'B' };
    let tiles = place(emptyWall(), 1, a);
    expect(tiles?.[0]).toEqual(a);
    expect(place(tiles ?? [], 1, b)).toBeNull();
    tiles = place(tiles ?? [], 4, a, 3);
    expect(tiles?.slice(0, 4)).toEqual([null, null, null, a]);
    expect(removeAt(tiles ?? [], 3).every((t) => t === null)).toBe(true);
  });

  it('restores a stored wall and ignores junk', () => {
    const wall = parseWall('{"layout":9,"tiles":[{"id":"a","name":"A"},7]}');
    expect(wall.layout).toBe(9);
    expect(wall.tiles.slice(0, 2)).toEqual([{ id: 'a', name: 'A' }, null]);
    expect(parseWall('nope').layout).toBe(4);
    expect(parseWall(null).tiles).toHaveLength(16);
  });
});

describe('duty state timeline', () => {
  it('lays intervals out on an axis from the first to now, an open one running to now', () => {
    const now = new Date('2026-01-01T02:00:00Z');
    const { bands: out } = bands(
      [
        { from: '2026-01-01T01:00:00Z', to: null, state: 'offline', reason: null },
        { from: '2026-01-01T00:00:00Z', to: '2026-01-01T01:00:00Z', state: 'online', reason: null },
      ],
      now,
    );
    expect(out.map((b) => [b.state, Math.round(b.x), Math.round(b.w)])).toEqual([
      ['online', 0, 50],
      ['offline', 50, 50],
    ]);
  });
});

describe('duty worst cameras, map and incidents', () => {
  it('ranks live camera alerts gravest first, then longest down, one row per camera', () => {
    const row = (id: number, cameraId: string, severity: string, openedAt: string, status = 'open') =>
      ({
        id,
        kind: 'camera',
        cause: 'offline',
        severity,
        status,
        cameraId,
        cameraName: cameraId,
        cameraCount: null,
        placePath: [],
        openedAt,
      }) as AlertRow;
    const worst = worstNow([
      row(1, 'a', 'minor', '2026-01-01T00:00:00Z'),
      row(2, 'b', 'critical', '2026-01-01T02:00:00Z'),
      row(3, 'c', 'critical', '2026-01-01T01:00:00Z'),
      row(4, 'd', 'critical', '2026-01-01T00:00:00Z', 'resolved'),
      row(5, 'a', 'critical', '2026-01-01T03:00:00Z'),
    ]);
    expect(worst.map((c) => c.id)).toEqual(['c', 'b', 'a']);
    const group = {
      ...row(9, '', 'critical', '2026-01-01T00:30:00Z'),
      kind: 'group',
      cameraId: null,
      placePath: ['县', '站点'],
      children: [
        row(10, 'g1', 'critical', '2026-01-01T00:30:00Z'),
        row(11, 'g2', 'critical', '2026-01-01T00:40:00Z'),
      ],
    } as AlertRow;
    const withGroup = worstNow([group, row(3, 'c', 'critical', '2026-01-01T01:00:00Z')]);
    expect(withGroup.map((c) => c.id)).toEqual(['g1', 'g2', 'c']);
    expect(withGroup[0]?.place).toEqual(['县', '站点']);
  });

  it('projects positions north up inside the box', () => {
    const out = project(
      [
        { id: 's', name: 'S', lat: 38.0, lon: 106.0 },
        { id: 'n', name: 'N', lat: 38.1, lon: 106.1 },
      ],
      200,
      100,
      10,
    );
    const [s, n] = out as [Placed, Placed];
    expect(n.y).toBeLessThan(s.y);
    expect(n.x).toBeGreaterThan(s.x);
    for (const p of out) {
      expect(p.x).toBeGreaterThanOrEqual(10);
      expect(p.x).toBeLessThanOrEqual(190);
      expect(p.y).toBeGreaterThanOrEqual(10);
      expect(p.y).toBeLessThanOrEqual(90);
    }
  });

  it('puts overdue reports first, then running clocks by deadline', () => {
    const inc = (id: string, over: Partial<Incident>): Incident => ({
      id,
      type: 'other',
      title: id,
      occurredAt: '2026-01-01T00:00:00Z',
      districtId: 'd',
      cameraIds: [],
      status: 'open',
      reportDueAt: null,
      reportedAt: null,
      overdue: false,
      reportedLate: false,
      ...over,
    });
    const list = [
      inc('none', {}),
      inc('due-late', { reportDueAt: '2026-01-02T00:00:00Z' }),
      inc('due-soon', { reportDueAt: '2026-01-01T01:00:00Z' }),
      inc('overdue', { reportDueAt: '2026-01-01T01:00:00Z', overdue: true }),
    ];
    expect(byUrgency(list).map((i) => i.id)).toEqual(['overdue', 'due-soon', 'due-late', 'none']);
    expect(reportState(inc('x', { reportDueAt: 'x', reportedAt: 'y', reportedLate: true }))).toBe('late');
  });
});

describe('duty messages', () => {
  it('has every Chinese message in English too, and no other', async () => {
    const { default: messages } = await import('../../src/console/pages/duty/messages.js');
    const keys = (o: unknown, prefix = ''): string[] =>
      typeof o === 'object' && o !== null
        ? Object.entries(o).flatMap(([k, v]) => keys(v, `${prefix}${k}.`))
        : [prefix.slice(0, -1)];
    expect(keys(messages.en).sort()).toEqual(keys(messages['zh-CN']).sort());
  });
});
