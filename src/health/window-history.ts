/**
 * The SQL that reads a set of cameras' ledger over a window (or a few spans of it): which cameras were alive,
 * their state intervals and their approved exclusions — the rows loadLedger reads, found through the span
 * indexes. The fragments are shared with the exact and rolled-up readers, which embed them in their own
 * statements.
 */
import type { Queryable } from '../db.js';
import type { StateInterval } from './availability.js';
import type { Ledger } from './availability-repo.js';
import type { Bounds } from './calendar.js';
import { FAST_TYPES, together } from './pg-reads.js';
import type { HealthState } from './types.js';

/** Which cameras: all below a node of the tree, one camera, or every camera. */
export type CameraSet = { kind: 'node'; id: string } | { kind: 'camera'; id: string } | { kind: 'all' };

/** SQL over `cameras c JOIN districts s ON s.id = c.site_id` selecting the set (parameter $1). */
export function setFilter(set: CameraSet): string {
  switch (set.kind) {
    case 'node':
      return 's.ancestors @> ARRAY[$1::uuid]';
    case 'camera':
      return 'c.id = $1::uuid';
    case 'all':
      return '$1::uuid IS NULL';
  }
}

export const setParam = (set: CameraSet) => (set.kind === 'all' ? null : set.id);
export const rangeLiteral = (b: Bounds) => `[${b.from.toISOString()},${b.to.toISOString()})`;

/** Where the spans are in a query's parameters: index ranges (tstzrange[]) and their bounds (timestamptz[]). */
export interface SpanParams {
  ranges: string;
  froms: string;
  tos: string;
}

/** An exact overlap test with any span (loadLedger's, span by span), after the index test with the ranges. */
const inASpan = (p: SpanParams, from: string, to: string) =>
  `EXISTS (SELECT 1 FROM unnest(${p.froms}::timestamptz[], ${p.tos}::timestamptz[]) AS w(f, t)
            WHERE ${from} < w.t AND (${to} IS NULL OR ${to} > w.f))`;

/**
 * The state intervals of a set's cameras overlapping any span. A node's: the span index first, then the
 * cameras (`cameraIds`, a subquery) — never each camera's history from its start.
 */
export function intervalRows(set: CameraSet, p: SpanParams, cameraIds: string): string {
  const spanRows = `SELECT i.id, i.camera_id, i.from_at, i.to_at, i.state, i.reason FROM state_intervals i
                     WHERE tstzrange(i.from_at, i.to_at, '[]') && ANY(${p.ranges}::tstzrange[])
                       AND ${inASpan(p, 'i.from_at', 'i.to_at')}`;
  switch (set.kind) {
    case 'camera':
      return `${spanRows} AND i.camera_id = $1::uuid`;
    case 'all':
      return `${spanRows} AND $1::uuid IS NULL`;
    case 'node':
      return `SELECT i.* FROM (${spanRows} OFFSET 0) i WHERE i.camera_id IN (${cameraIds})`;
  }
}

/** The approved exclusions of a set's cameras overlapping any span, one row per camera they cover. */
export function exclusionRows(set: CameraSet, p: SpanParams): string {
  const overlapping = `x.status = 'approved' AND tstzrange(x.from_at, x.to_at, '[]') && ANY(${p.ranges}::tstzrange[])
                       AND ${inASpan(p, 'x.from_at', 'x.to_at')}`;
  // an exclusion is on one camera or on one node (and so on every camera below it), never both
  return `SELECT x.camera_id, x.from_at, x.to_at, x.kind
            FROM availability_exclusions x JOIN cameras c ON c.id = x.camera_id
            JOIN districts s ON s.id = c.site_id
           WHERE ${setFilter(set)} AND ${overlapping}
          UNION ALL
          SELECT c.id, x.from_at, x.to_at, x.kind
            FROM availability_exclusions x JOIN districts s ON s.ancestors @> ARRAY[x.district_id]
            JOIN cameras c ON c.site_id = s.id
           WHERE ${setFilter(set)} AND x.district_id IS NOT NULL AND ${overlapping}`;
}

export interface CameraLife {
  id: string;
  name: string;
  commissioned_at: Date;
  retired_at: Date | null;
}

/** The cameras of a set alive at some time in a window (loadLedger's test), in id order. */
export async function windowCameras(
  db: Queryable,
  set: CameraSet,
  window: Bounds,
  names = true,
): Promise<CameraLife[]> {
  const { rows } = await db.query<CameraLife>({
    text: `SELECT c.id, ${names ? 'c.name' : "'' AS name"}, c.commissioned_at, c.retired_at
             FROM cameras c JOIN districts s ON s.id = c.site_id
            WHERE ${setFilter(set)} AND c.commissioned_at < $3 AND (c.retired_at IS NULL OR c.retired_at > $2)
            ORDER BY c.id`,
    values: [setParam(set), window.from, window.to],
    types: FAST_TYPES,
  });
  return rows;
}

export async function countCameras(db: Queryable, set: CameraSet, window: Bounds): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM cameras c JOIN districts s ON s.id = c.site_id
      WHERE ${setFilter(set)} AND c.commissioned_at < $3 AND (c.retired_at IS NULL OR c.retired_at > $2)`,
    [setParam(set), window.from, window.to],
  );
  return rows[0]?.n ?? 0;
}

/**
 * SQL (a FROM list): the cameras below each node of $1 (uuid[]) as `c`, with the node as `g.node_id` — a
 * camera once per node above it, so once at most when the nodes' subtrees do not overlap.
 */
export const CAMERAS_BELOW_NODES = `unnest($1::uuid[]) AS g(node_id)
  JOIN districts s ON s.ancestors @> ARRAY[g.node_id] JOIN cameras c ON c.site_id = s.id`;

/** countCameras for each of several nodes (those without a camera alive in the window: absent). */
export async function countCamerasByNode(
  db: Queryable,
  nodeIds: readonly string[],
  window: Bounds,
): Promise<Map<string, number>> {
  const { rows } = await db.query<{ node_id: string; n: number }>(
    `SELECT g.node_id, count(*)::int AS n FROM ${CAMERAS_BELOW_NODES}
      WHERE c.commissioned_at < $3 AND (c.retired_at IS NULL OR c.retired_at > $2)
      GROUP BY g.node_id`,
    [nodeIds, window.from, window.to],
  );
  return new Map(rows.map((r) => [r.node_id, r.n]));
}

/**
 * The state intervals and approved exclusions of a set's cameras overlapping any of the spans: the rows
 * loadLedger reads for each span (its tests verbatim), found through the span indexes, each camera's
 * intervals in (from_at, id) order.
 */
export async function loadHistory(
  db: Queryable,
  set: CameraSet,
  spans: readonly Bounds[],
): Promise<Pick<Ledger, 'intervalsOf' | 'exclusionsOf'>> {
  if (spans.length === 0) return { intervalsOf: new Map(), exclusionsOf: new Map() };
  const params = [setParam(set), spans.map(rangeLiteral), spans.map((s) => s.from), spans.map((s) => s.to)];
  const at: SpanParams = { ranges: '$2', froms: '$3', tos: '$4' };
  const cameraIds = `SELECT c.id FROM cameras c JOIN districts s ON s.id = c.site_id WHERE ${setFilter(set)}`;
  const [intervals, exclusions] = await together(
    db,
    () =>
      db.query<[string | number, string, Date, Date | null, HealthState, string | null]>({
        text: intervalRows(set, at, cameraIds),
        values: params,
        types: FAST_TYPES,
        rowMode: 'array',
      }),
    () =>
      db.query<{ camera_id: string; from_at: Date; to_at: Date; kind: 'maintenance' | 'external_cause' }>({
        text: exclusionRows(set, at),
        values: params,
        types: FAST_TYPES,
      }),
  );
  const byCamera = new Map<string, { id: number; interval: StateInterval }[]>();
  for (const [id, cameraId, from, to, state, reason] of intervals.rows) {
    let list = byCamera.get(cameraId);
    if (!list) {
      list = [];
      byCamera.set(cameraId, list);
    }
    list.push({ id: Number(id), interval: { from, to, state, reason } });
  }
  const intervalsOf: Ledger['intervalsOf'] = new Map();
  for (const [cameraId, list] of byCamera) {
    list.sort((x, y) => x.interval.from.getTime() - y.interval.from.getTime() || x.id - y.id);
    intervalsOf.set(
      cameraId,
      list.map((x) => x.interval),
    );
  }
  const exclusionsOf: Ledger['exclusionsOf'] = new Map();
  for (const x of exclusions.rows) {
    let list = exclusionsOf.get(x.camera_id);
    if (!list) {
      list = [];
      exclusionsOf.set(x.camera_id, list);
    }
    list.push({ from: x.from_at, to: x.to_at, kind: x.kind });
  }
  return { intervalsOf, exclusionsOf };
}
