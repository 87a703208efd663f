/**
 * Exact figures straight from the ledger, for the pieces of a window the rollups cannot answer: a node's
 * summed over its cameras (mostly in SQL), or one camera's.
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
import type { Bounds } from './calendar.js';
import { FAST_TYPES, together } from './pg-reads.js';
import type { HealthState } from './types.js';
import {
  CAMERAS_BELOW_NODES,
  type CameraSet,
  countCameras,
  countCamerasByNode,
  exclusionRows,
  intervalRows,
  rangeLiteral,
  type SpanParams,
  setFilter,
} from './window-history.js';

/**
 * Whose figures: a node's or a camera's, or those of each of several nodes (their ids in $1, a uuid[]) whose
 * subtrees do not overlap, so that a camera counts for one of them at most.
 */
type TotalsSet = { kind: 'node' | 'camera'; id: string } | { kind: 'nodes' };

/**
 * The figures of a piece summed over many cameras, in SQL. A camera with no exclusion in the piece has
 * remaining = its lifetime in the piece, so cameraAvailability's buckets are sums over its intervals (which do
 * not overlap, as the ledger writes them): each interval's time in the piece lands whole in the buckets of
 * its state and reason, and the time no interval covers is unknown. Those times are summed in SQL by state and
 * reason, and one cameraAvailability over each summed length stands for them. Cameras with an exclusion in the
 * piece are read in full and computed one by one. Times are taken in the milliseconds the ledger is computed
 * in (node-pg truncates to the millisecond, as date_bin does here).
 */
function exactTotalsSql(set: TotalsSet): string {
  // summed as intervals (whole microseconds), turned into milliseconds once
  const ms = (span: string) => `extract(epoch FROM sum(${span})) * 1000`;
  // down to the millisecond, as node-pg reads it (date_bin: plain arithmetic, no time zone to apply)
  const trunc = (t: string) => `date_bin('1 millisecond', ${t}, timestamptz '2000-01-01 00:00:00+00')`;
  const overlaps = (from: string, to: string) =>
    `tstzrange(${from}, ${to}, '[]') && tstzrange($4, $5, '[)') AND ${from} < $5 AND (${to} IS NULL OR ${to} > $4)`;
  const xs = `x.status = 'approved' AND ${overlaps('x.from_at', 'x.to_at')}`;
  const from = `greatest(${trunc('i.from_at')}, c.lo)`;
  const to = `least(coalesce(${trunc('i.to_at')}, c.hi), c.hi)`;
  // which cameras, each with the node its figures count for (null: the set's own)
  const cameras =
    set.kind === 'nodes'
      ? `SELECT c.id, g.node_id, c.commissioned_at, c.retired_at FROM ${CAMERAS_BELOW_NODES}`
      : `SELECT c.id, NULL::uuid AS node_id, c.commissioned_at, c.retired_at
           FROM cameras c JOIN districts s ON s.id = c.site_id WHERE ${setFilter(set)}`;
  return `
    WITH c AS MATERIALIZED (
      SELECT c.id, c.node_id, c.commissioned_at, c.retired_at,
             greatest($4, ${trunc('c.commissioned_at')}) AS lo, least($5, $6::timestamptz, ${trunc('c.retired_at')}) AS hi
        FROM (${cameras}) c
       WHERE c.commissioned_at < $3 AND (c.retired_at IS NULL OR c.retired_at > $2)
    ), iv AS (
      SELECT i.id, i.camera_id, i.from_at, i.to_at, i.state, i.reason FROM state_intervals i
       WHERE ${overlaps('i.from_at', 'i.to_at')}${set.kind === 'camera' ? ' AND i.camera_id = $1::uuid' : ''}
    ), ex AS MATERIALIZED (
      SELECT x.camera_id, c.node_id, x.from_at, x.to_at, x.kind
        FROM availability_exclusions x JOIN c ON c.id = x.camera_id WHERE ${xs}
      UNION ALL
      SELECT c.id, c.node_id, x.from_at, x.to_at, x.kind
        FROM availability_exclusions x JOIN districts s ON s.ancestors @> ARRAY[x.district_id]
        JOIN cameras cs ON cs.site_id = s.id JOIN c ON c.id = cs.id
       WHERE x.district_id IS NOT NULL AND ${xs}
    ), xc AS MATERIALIZED (
      SELECT DISTINCT camera_id, node_id FROM ex
    )
    SELECT 'n' AS kind, NULL::uuid AS camera_id, NULL::timestamptz AS a, NULL::timestamptz AS b,
           NULL::text AS state, NULL::text AS reason, count(*)::float8 AS n, c.node_id
      FROM c GROUP BY c.node_id
    UNION ALL
    SELECT 't', NULL, NULL, NULL, NULL, NULL, coalesce(${ms('c.hi - c.lo')}, 0)::float8, c.node_id
      FROM c WHERE c.lo < c.hi AND c.id NOT IN (SELECT camera_id FROM xc)
     GROUP BY c.node_id
    UNION ALL
    SELECT 'g', NULL, NULL, NULL, i.state, i.reason, (${ms(`${to} - ${from}`)})::float8, c.node_id
      FROM iv i JOIN c ON c.id = i.camera_id
     WHERE c.lo < c.hi AND c.id NOT IN (SELECT camera_id FROM xc) AND ${from} < ${to}
     GROUP BY c.node_id, i.state, i.reason
    UNION ALL
    SELECT 'c', c.id, c.commissioned_at, c.retired_at, NULL, NULL, NULL, c.node_id
      FROM c JOIN xc ON xc.camera_id = c.id
    UNION ALL
    SELECT 'i', i.camera_id, i.from_at, i.to_at, i.state, i.reason, i.id::float8, xc.node_id
      FROM iv i JOIN xc ON xc.camera_id = i.camera_id
    UNION ALL
    SELECT 'x', ex.camera_id, ex.from_at, ex.to_at, ex.kind, NULL, NULL, ex.node_id FROM ex`;
}

type TotalsRow = [
  kind: 'n' | 't' | 'g' | 'c' | 'i' | 'x',
  cameraId: string | null,
  a: Date | null,
  b: Date | null,
  state: string | null,
  reason: string | null,
  n: number | null,
  /** the node the row counts for (null: the set's own) */
  nodeId: string | null,
];

/** exactTotalsSql's rows for one piece, folded: its figures, and the cameras alive in the window. */
function sumTotalsRows(
  rows: readonly TotalsRow[],
  piece: Bounds,
  now: Date,
): { cameras: number; figures: Availability } {
  const parts: Availability[] = [];
  let cameras = 0;
  interface Complex {
    /** null: not a camera alive in the window (none of its time counts) */
    life: { commissionedAt: Date; retiredAt: Date | null } | null;
    intervals: { id: number; interval: StateInterval }[];
    exclusions: Exclusion[];
  }
  const complex = new Map<string, Complex>();
  const entry = (cameraId: string) => {
    let e = complex.get(cameraId);
    if (!e) {
      e = { life: null, intervals: [], exclusions: [] };
      complex.set(cameraId, e);
    }
    return e;
  };
  // the cameras without an exclusion: their whole time, and the part of it under each state and reason
  let whole = 0;
  let covered = 0;
  for (const [kind, cameraId, a, b, state, reason, n] of rows) {
    if (kind === 'n') cameras = n ?? 0;
    else if (kind === 't') whole = n ?? 0;
    else if (kind === 'g') {
      // one stand-in for the time under a state and reason: the summed length under one interval
      const span = { from: new Date(0), to: new Date(n ?? 0) };
      covered += n ?? 0;
      parts.push(
        cameraAvailability({
          intervals: [{ ...span, state: state as HealthState, reason }],
          exclusions: [],
          gaps: [],
          lifetime: { commissionedAt: span.from, retiredAt: span.to },
          window: span,
          now: span.to,
        }),
      );
    } else {
      const e = entry(cameraId ?? '');
      if (kind === 'c') e.life = { commissionedAt: a as Date, retiredAt: b };
      else if (kind === 'i') {
        e.intervals.push({
          id: n ?? 0,
          interval: { from: a as Date, to: b, state: state as HealthState, reason },
        });
      } else e.exclusions.push({ from: a as Date, to: b as Date, kind: state as Exclusion['kind'] });
    }
  }
  // and what no interval covers: unknown
  parts.push({ ...ZERO_AVAILABILITY, unknownMs: whole - covered });
  for (const e of complex.values()) {
    if (!e.life) continue;
    e.intervals.sort((x, y) => x.interval.from.getTime() - y.interval.from.getTime() || x.id - y.id);
    parts.push(
      cameraAvailability({
        intervals: e.intervals.map((x) => x.interval),
        exclusions: e.exclusions,
        // as cameraFigures: our own gaps are in the ledger already, as 'unknown' intervals
        gaps: [],
        lifetime: e.life,
        window: piece,
        now,
      }),
    );
  }
  return { cameras, figures: sumAvailability(parts) };
}

/**
 * The exact figures of a node (or a camera) over one piece of a window, summed over its cameras, and the
 * number of its cameras alive in the window: the same figures as summing cameraFigures over loadLedger.
 */
async function exactPiece(
  db: Queryable,
  set: { kind: 'node' | 'camera'; id: string },
  window: Bounds,
  piece: Bounds,
  now: Date,
): Promise<{ cameras: number; figures: Availability }> {
  const { rows } = await db.query<TotalsRow>({
    text: exactTotalsSql(set),
    values: [set.id, window.from, window.to, piece.from, piece.to, now],
    types: FAST_TYPES,
    rowMode: 'array',
  });
  return sumTotalsRows(rows, piece, now);
}

/**
 * The exact figures of a node (or a camera) over each of a few pieces of a window, summed over its cameras,
 * and the number of its cameras alive in the window: a query per piece, side by side.
 */
export async function exactTotals(
  db: Queryable,
  set: { kind: 'node' | 'camera'; id: string },
  window: Bounds,
  pieces: readonly Bounds[],
  now: Date,
): Promise<{ cameras: number; figures: Availability[] }> {
  if (pieces.length === 0) return { cameras: await countCameras(db, set, window), figures: [] };
  const results = await together(db, ...pieces.map((piece) => () => exactPiece(db, set, window, piece, now)));
  return { cameras: results[0]?.cameras ?? 0, figures: results.map((r) => r.figures) };
}

/** The rows of exactTotalsSql split by the node they count for. */
function rowsByNode(rows: readonly TotalsRow[]): Map<string | null, TotalsRow[]> {
  const out = new Map<string | null, TotalsRow[]>();
  for (const row of rows) {
    const nodeId = row[7];
    const list = out.get(nodeId);
    if (list) list.push(row);
    else out.set(nodeId, [row]);
  }
  return out;
}

async function exactPieceByNode(
  db: Queryable,
  nodeIds: readonly string[],
  window: Bounds,
  piece: Bounds,
  now: Date,
): Promise<Map<string, { cameras: number; figures: Availability }>> {
  const { rows } = await db.query<TotalsRow>({
    text: exactTotalsSql({ kind: 'nodes' }),
    values: [nodeIds, window.from, window.to, piece.from, piece.to, now],
    types: FAST_TYPES,
    rowMode: 'array',
  });
  const byNode = rowsByNode(rows);
  // a node without rows (no camera in the window) is folded like one: zeros
  return new Map(nodeIds.map((id) => [id, sumTotalsRows(byNode.get(id) ?? [], piece, now)]));
}

/**
 * exactTotals for each of several nodes whose subtrees do not overlap (nodes of one level of the tree): the
 * same figures and cameras per node, with one query per piece for all of them rather than one per node.
 */
export async function exactTotalsByNode(
  db: Queryable,
  nodeIds: readonly string[],
  window: Bounds,
  pieces: readonly Bounds[],
  now: Date,
): Promise<Map<string, { cameras: number; figures: Availability[] }>> {
  if (nodeIds.length === 0) return new Map();
  if (pieces.length === 0) {
    const counts = await countCamerasByNode(db, nodeIds, window);
    return new Map(nodeIds.map((id) => [id, { cameras: counts.get(id) ?? 0, figures: [] }]));
  }
  const results = await together(
    db,
    ...pieces.map((piece) => () => exactPieceByNode(db, nodeIds, window, piece, now)),
  );
  return new Map(
    nodeIds.map((id) => {
      const perPiece = results.map((r) => r.get(id) as { cameras: number; figures: Availability });
      return [id, { cameras: perPiece[0]?.cameras ?? 0, figures: perPiece.map((p) => p.figures) }];
    }),
  );
}

/**
 * One camera's exact figures over each of a few pieces of a window, and whether it was alive in the window:
 * its lifetime, intervals and exclusions over the pieces in one query (its own index), then cameraAvailability
 * per piece over all of them — as cameraFigures over loadLedger(window) does for a piece.
 */
export async function exactCamera(
  db: Queryable,
  cameraId: string,
  window: Bounds,
  pieces: readonly Bounds[],
  now: Date,
): Promise<{ cameras: number; figures: Availability[] }> {
  const at: SpanParams = { ranges: '$4', froms: '$5', tos: '$6' };
  const set: CameraSet = { kind: 'camera', id: cameraId };
  const { rows } = await db.query<
    [string, Date | null, Date | null, string | null, string | null, number | null]
  >({
    // prepared once per connection: the same plan serves every camera
    name: 'xueliang-exact-camera',
    text: `WITH c AS (
             SELECT c.id, c.commissioned_at, c.retired_at FROM cameras c
              WHERE c.id = $1::uuid AND c.commissioned_at < $3 AND (c.retired_at IS NULL OR c.retired_at > $2)
           )
           SELECT 'c', c.commissioned_at, c.retired_at, NULL, NULL, NULL::float8 FROM c
           UNION ALL
           SELECT 'i', i.from_at, i.to_at, i.state, i.reason, i.id::float8
             FROM (${intervalRows(set, at, '')}) i WHERE EXISTS (SELECT 1 FROM c)
           UNION ALL
           SELECT 'x', x.from_at, x.to_at, x.kind, NULL, NULL FROM (${exclusionRows(set, at)}) x
            WHERE EXISTS (SELECT 1 FROM c)`,
    values: [
      cameraId,
      window.from,
      window.to,
      pieces.map(rangeLiteral),
      pieces.map((p) => p.from),
      pieces.map((p) => p.to),
    ],
    types: FAST_TYPES,
    rowMode: 'array',
  });
  let life: { commissionedAt: Date; retiredAt: Date | null } | null = null;
  const intervals: { id: number; interval: StateInterval }[] = [];
  const exclusions: Exclusion[] = [];
  for (const [kind, a, b, state, reason, id] of rows) {
    if (kind === 'c') life = { commissionedAt: a as Date, retiredAt: b };
    else if (kind === 'i') {
      intervals.push({
        id: id ?? 0,
        interval: { from: a as Date, to: b, state: state as HealthState, reason },
      });
    } else exclusions.push({ from: a as Date, to: b as Date, kind: state as Exclusion['kind'] });
  }
  if (!life) return { cameras: 0, figures: pieces.map(() => ({ ...ZERO_AVAILABILITY })) };
  intervals.sort((x, y) => x.interval.from.getTime() - y.interval.from.getTime() || x.id - y.id);
  const lifetime = life;
  const sorted = intervals.map((x) => x.interval);
  return {
    cameras: 1,
    figures: pieces.map((piece) =>
      cameraAvailability({ intervals: sorted, exclusions, gaps: [], lifetime, window: piece, now }),
    ),
  };
}
