/**
 * Availability of a node of the tree (or one camera) over a window, fast: every local day of the window that
 * is whole, over and rolled up is read from the daily rollups (availability_node_daily /
 * availability_camera_daily); the rest — the partial days at the window's edges, today, days not rolled up or
 * invalidated since — is computed exactly from the ledger, with cameraAvailability as before. The result
 * equals the exact computation (loadLedger + cameraFigures over the whole window) to the millisecond, given
 * what the ledger guarantees: a camera's intervals do not overlap one another. A change to the past — a late
 * interval, an exclusion approved afterwards, a camera or a node moved, a lifetime changed — needs
 * invalidateDays (rollup-repo) for the days it touches.
 */
import type { Queryable } from '../db.js';
import {
  type Availability,
  cameraAvailability,
  type Exclusion,
  type StateInterval,
  sumAvailability,
  ZERO_AVAILABILITY,
} from './availability.js';
import type { Bounds, DayPiece } from './calendar.js';
import { assembleDays, planWindow } from './day-pieces.js';
import { exactCamera, exactTotals, exactTotalsByNode } from './exact-figures.js';
import { FAST_TYPES, together } from './pg-reads.js';
import { parseRolled, readRolled, readRolledByNode, rolledJson } from './rollup-reads.js';
import type { HealthState } from './types.js';
import {
  type CameraSet,
  exclusionRows,
  intervalRows,
  rangeLiteral,
  type SpanParams,
} from './window-history.js';

export interface NodeFigures {
  /** Cameras below the node (or the camera itself) alive at some time in the window. */
  cameras: number;
  total: Availability;
  byDay: { day: string; figures: Availability }[];
}

async function figuresOf(
  db: Queryable,
  set: { kind: 'node' | 'camera'; id: string },
  window: Bounds,
  now: Date,
  timeZone: string,
): Promise<NodeFigures> {
  const { pieces, candidates, exact, first, last } = planWindow(window, now, timeZone);
  const exactOf = (list: readonly DayPiece[]) =>
    set.kind === 'camera'
      ? exactCamera(db, set.id, window, list, now)
      : exactTotals(db, set, window, list, now);
  // one round trip: the rollups and the exact pieces (with the number of cameras) side by side
  const [rolled, edges] = await together(
    db,
    async () =>
      first && last ? readRolled(db, set.id, first.day, last.day, timeZone) : new Map<string, Availability>(),
    () => exactOf(exact),
  );
  // whole past days without a valid rollup (not yet rolled up, or invalidated): exact as well
  const late = candidates.filter((p) => !rolled.has(p.day));
  const lateFigures = late.length > 0 ? (await exactOf(late)).figures : [];
  const computed = new Map<DayPiece, Availability>([
    ...exact.map((p, i) => [p, edges.figures[i] as Availability] as const),
    ...late.map((p, i) => [p, lateFigures[i] as Availability] as const),
  ]);
  return { cameras: edges.cameras, ...assembleDays(pieces, computed, rolled) };
}

/**
 * A node's figures over a window: per local day and in total, with the number of cameras below it alive in
 * the window — what GET /availability reports, equal to summing cameraFigures(loadLedger(window)).
 */
export function nodeFigures(
  db: Queryable,
  nodeId: string,
  window: Bounds,
  now: Date,
  timeZone: string,
): Promise<NodeFigures> {
  return figuresOf(db, { kind: 'node', id: nodeId }, window, now, timeZone);
}

/**
 * nodeFigures for each of several nodes whose subtrees do not overlap (nodes of one level of the tree), the
 * same figures, read for all of them at once: the rollups in one query, each exact piece in one query.
 */
export async function nodeFiguresByNode(
  db: Queryable,
  nodeIds: readonly string[],
  window: Bounds,
  now: Date,
  timeZone: string,
): Promise<Map<string, NodeFigures>> {
  if (nodeIds.length === 0) return new Map();
  const { pieces, candidates, exact, first, last } = planWindow(window, now, timeZone);
  const [rolled, edges] = await together(
    db,
    async () =>
      first && last
        ? readRolledByNode(db, nodeIds, first.day, last.day, timeZone)
        : new Map<string, Map<string, Availability>>(),
    () => exactTotalsByNode(db, nodeIds, window, exact, now),
  );
  // a day's rollup is valid or not for every node alike; a day any node lacks is computed for all of them
  const late = candidates.filter((p) => nodeIds.some((id) => !rolled.get(id)?.has(p.day)));
  const lateFigures =
    late.length > 0
      ? await exactTotalsByNode(db, nodeIds, window, late, now)
      : new Map<string, { figures: Availability[] }>();
  return new Map(
    nodeIds.map((id) => {
      const edge = edges.get(id) as { cameras: number; figures: Availability[] };
      const lateOf = lateFigures.get(id)?.figures ?? [];
      const computed = new Map<DayPiece, Availability>([
        ...exact.map((p, i) => [p, edge.figures[i] as Availability] as const),
        ...late.map((p, i) => [p, lateOf[i] as Availability] as const),
      ]);
      const nodeRolled = rolled.get(id) ?? new Map<string, Availability>();
      return [id, { cameras: edge.cameras, ...assembleDays(pieces, computed, nodeRolled) }];
    }),
  );
}

type CameraRow = [
  kind: 'd' | 'c' | 'i' | 'x',
  a: Date | null,
  b: Date | null,
  state: string | null,
  reason: string | null,
  id: number | string | null,
  days: [string, ...number[]][] | null,
];

/**
 * One camera's figures over a window (cameras: 1 if it was alive in the window, else 0): its rolled-up days,
 * its lifetime and its history over the other pieces in one statement (prepared once per connection), the
 * figures of those pieces computed as exactCamera does; days found not rolled up take a second query.
 */
export async function cameraFiguresFast(
  db: Queryable,
  cameraId: string,
  window: Bounds,
  now: Date,
  timeZone: string,
): Promise<NodeFigures> {
  const { pieces, candidates, exact, first, last } = planWindow(window, now, timeZone);
  const set: CameraSet = { kind: 'camera', id: cameraId };
  const at: SpanParams = { ranges: '$7', froms: '$8', tos: '$9' };
  const { rows } = await db.query<CameraRow>({
    name: 'xueliang-camera-figures',
    text: `WITH c AS (
             SELECT c.id, c.commissioned_at, c.retired_at FROM cameras c
              WHERE c.id = $1::uuid AND c.commissioned_at < $6 AND (c.retired_at IS NULL OR c.retired_at > $5)
           )
           SELECT 'd', NULL::timestamptz, NULL::timestamptz, NULL::text, NULL::text, NULL::bigint,
                  ${rolledJson('availability_camera_daily t ON t.camera_id = $1::uuid AND t.day = v.day')}
           UNION ALL
           SELECT 'c', c.commissioned_at, c.retired_at, NULL, NULL, NULL, NULL FROM c
           UNION ALL
           SELECT 'i', i.from_at, i.to_at, i.state, i.reason, i.id, NULL
             FROM (${intervalRows(set, at, '')}) i WHERE EXISTS (SELECT 1 FROM c)
           UNION ALL
           SELECT 'x', x.from_at, x.to_at, x.kind, NULL, NULL, NULL
             FROM (${exclusionRows(set, at)}) x WHERE EXISTS (SELECT 1 FROM c)`,
    values: [
      cameraId,
      first?.day ?? null,
      last?.day ?? null,
      timeZone,
      window.from,
      window.to,
      exact.map(rangeLiteral),
      exact.map((p) => p.from),
      exact.map((p) => p.to),
    ],
    types: FAST_TYPES,
    rowMode: 'array',
  });
  let rolled = new Map<string, Availability>();
  let life: { commissionedAt: Date; retiredAt: Date | null } | null = null;
  const intervals: { id: number; interval: StateInterval }[] = [];
  const exclusions: Exclusion[] = [];
  for (const [kind, a, b, state, reason, id, days] of rows) {
    if (kind === 'd') rolled = parseRolled(days);
    else if (kind === 'c') life = { commissionedAt: a as Date, retiredAt: b };
    else if (kind === 'i') {
      intervals.push({
        id: Number(id),
        interval: { from: a as Date, to: b, state: state as HealthState, reason },
      });
    } else exclusions.push({ from: a as Date, to: b as Date, kind: state as Exclusion['kind'] });
  }
  intervals.sort((x, y) => x.interval.from.getTime() - y.interval.from.getTime() || x.id - y.id);
  const sorted = intervals.map((x) => x.interval);
  const lifetime = life;
  const computed = new Map<DayPiece, Availability>(
    exact.map((piece) => [
      piece,
      lifetime
        ? cameraAvailability({ intervals: sorted, exclusions, gaps: [], lifetime, window: piece, now })
        : { ...ZERO_AVAILABILITY },
    ]),
  );
  // whole past days without a valid rollup (not yet rolled up, or invalidated): exact as well
  const late = candidates.filter((p) => !rolled.has(p.day));
  if (late.length > 0 && lifetime) {
    const { figures } = await exactCamera(db, cameraId, window, late, now);
    late.forEach((p, i) => {
      computed.set(p, figures[i] as Availability);
    });
  }
  const byDay = pieces.map((piece) => ({
    day: piece.day,
    figures: computed.get(piece) ?? rolled.get(piece.day) ?? { ...ZERO_AVAILABILITY },
  }));
  return { cameras: lifetime ? 1 : 0, total: sumAvailability(byDay.map((d) => d.figures)), byDay };
}
