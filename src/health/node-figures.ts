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
import pg from 'pg';
import type { Queryable } from '../db.js';
import {
  type Availability,
  cameraAvailability,
  type Exclusion,
  type StateInterval,
  sumAvailability,
  ZERO_AVAILABILITY,
} from './availability.js';
import { cameraFigures, type Ledger } from './availability-repo.js';
import { addDays, type Bounds, type DayPiece, localDayBounds } from './calendar.js';
import type { HealthState } from './types.js';

export interface NodeFigures {
  /** Cameras below the node (or the camera itself) alive at some time in the window. */
  cameras: number;
  total: Availability;
  byDay: { day: string; figures: Availability }[];
}

export interface NodeCameraFigure {
  id: string;
  name: string;
  scheduledMs: number;
  effectiveMs: number;
}

/** Which cameras: all below a node of the tree, one camera, or every camera. */
export type CameraSet = { kind: 'node'; id: string } | { kind: 'camera'; id: string } | { kind: 'all' };

// --- local days, memoised -------------------------------------------------------------------------------
// splitByLocalDays asks Intl for every day's bounds, several ms for a year of days; a day's bounds in a zone
// never change, so they are kept. Same algorithm as calendar.ts, same results (tested).

const MAX_CACHED_DAYS = 50_000;
interface CachedDay {
  bounds: Bounds;
  from: number;
  to: number;
  next: string;
}
const dayCache = new Map<string, CachedDay>();
const dateFormatters = new Map<string, Intl.DateTimeFormat>();

function cachedDay(day: string, timeZone: string): CachedDay {
  const key = `${timeZone}|${day}`;
  let cached = dayCache.get(key);
  if (!cached) {
    if (dayCache.size >= MAX_CACHED_DAYS) dayCache.clear();
    const bounds = localDayBounds(day, timeZone);
    cached = { bounds, from: bounds.from.getTime(), to: bounds.to.getTime(), next: addDays(day, 1) };
    dayCache.set(key, cached);
  }
  return cached;
}

/** localDayBounds, memoised. */
export function cachedDayBounds(day: string, timeZone: string): Bounds {
  return cachedDay(day, timeZone).bounds;
}

/** localDate with a kept formatter. */
function localDay(at: Date, timeZone: string): string {
  let f = dateFormatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    dateFormatters.set(timeZone, f);
  }
  return f.format(at);
}

/** splitByLocalDays with memoised day bounds. */
export function dayPieces(window: Bounds, timeZone: string): DayPiece[] {
  const end = window.to.getTime();
  const pieces: DayPiece[] = [];
  if (!(window.from.getTime() < end)) return pieces;
  let day = localDay(window.from, timeZone);
  for (;;) {
    const cached = cachedDay(day, timeZone);
    const from = Math.max(window.from.getTime(), cached.from);
    const to = Math.min(end, cached.to);
    if (from < to) pieces.push({ day, from: new Date(from), to: new Date(to) });
    if (cached.to >= end) return pieces;
    day = cached.next;
  }
}

/** A whole local day that is over at `now`: the only kind of piece a rollup can stand for. */
function rollable(piece: DayPiece, timeZone: string, now: Date): boolean {
  const cached = cachedDay(piece.day, timeZone);
  return (
    piece.from.getTime() === cached.from && piece.to.getTime() === cached.to && cached.to <= now.getTime()
  );
}

/** Adjacent pieces joined into runs: the spans to read the ledger for. */
function runsOf(pieces: readonly DayPiece[]): Bounds[] {
  const runs: Bounds[] = [];
  for (const p of pieces) {
    const last = runs[runs.length - 1];
    if (last && last.to.getTime() === p.from.getTime()) last.to = p.to;
    else runs.push({ from: p.from, to: p.to });
  }
  return runs;
}

// --- the exact side: the ledger over a few spans -------------------------------------------------------

/** Side by side on a pool (a connection each), one after another on a single client (a transaction). */
export async function together<T extends unknown[]>(
  db: Queryable,
  ...thunks: { [K in keyof T]: () => Promise<T[K]> }
): Promise<T> {
  if (db instanceof pg.Pool) return (await Promise.all(thunks.map((f) => f()))) as T;
  const out: unknown[] = [];
  for (const f of thunks) out.push(await f());
  return out as T;
}

/** node-pg's own text parser for timestamptz (postgres-date). */
const parseTimestamptz = pg.types.getTypeParser(pg.types.builtins.TIMESTAMPTZ, 'text') as (s: string) => Date;

function digits(s: string, at: number, n: number): number {
  let v = 0;
  for (let k = 0; k < n; k++) {
    const c = s.charCodeAt(at + k) - 48;
    if (c < 0 || c > 9) return Number.NaN;
    v = v * 10 + c;
  }
  return v;
}

/**
 * The same Date as node-pg's timestamptz parser for Postgres' ISO output ('YYYY-MM-DD HH:MM:SS[.ffffff]±HH
 * [:MM[:SS]]'), with the same arithmetic (so the same millisecond), several times faster: a county's day of
 * intervals is tens of thousands of them. Anything else (BC, infinity, years below 100) goes to node-pg's.
 */
export function fastTimestamptz(s: string): Date {
  if (s.charCodeAt(4) !== 45 || s.charCodeAt(10) !== 32 || s.charCodeAt(13) !== 58)
    return parseTimestamptz(s);
  const year = digits(s, 0, 4);
  let i = 19;
  let ms = 0;
  if (s.charCodeAt(i) === 46) {
    let j = i + 1;
    while (j < s.length && s.charCodeAt(j) >= 48 && s.charCodeAt(j) <= 57) j++;
    ms = 1000 * Number.parseFloat(s.slice(i, j));
    i = j;
  }
  const sign = s.charCodeAt(i);
  const rest = s.length - i;
  if ((sign !== 43 && sign !== 45) || !(rest === 3 || rest === 6 || rest === 9) || year < 100) {
    return parseTimestamptz(s);
  }
  const oh = digits(s, i + 1, 2);
  const om = rest === 3 ? 0 : s.charCodeAt(i + 3) === 58 ? digits(s, i + 4, 2) : Number.NaN;
  const os = rest !== 9 ? 0 : s.charCodeAt(i + 6) === 58 ? digits(s, i + 7, 2) : Number.NaN;
  const utc = Date.UTC(
    year,
    digits(s, 5, 2) - 1,
    digits(s, 8, 2),
    digits(s, 11, 2),
    digits(s, 14, 2),
    digits(s, 17, 2),
    ms,
  );
  const t = utc - (sign === 45 ? -1 : 1) * (oh * 3600 + om * 60 + os) * 1000;
  return Number.isNaN(t) ? parseTimestamptz(s) : new Date(t);
}

const FAST_TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.TIMESTAMPTZ && format !== 'binary'
      ? fastTimestamptz
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** SQL over `cameras c JOIN districts s ON s.id = c.site_id` selecting the set (parameter $1). */
function setFilter(set: CameraSet): string {
  switch (set.kind) {
    case 'node':
      return 's.ancestors @> ARRAY[$1::uuid]';
    case 'camera':
      return 'c.id = $1::uuid';
    case 'all':
      return '$1::uuid IS NULL';
  }
}

const setParam = (set: CameraSet) => (set.kind === 'all' ? null : set.id);
const rangeLiteral = (b: Bounds) => `[${b.from.toISOString()},${b.to.toISOString()})`;

/** Where the spans are in a query's parameters: index ranges (tstzrange[]) and their bounds (timestamptz[]). */
interface SpanParams {
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
function intervalRows(set: CameraSet, p: SpanParams, cameraIds: string): string {
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
function exclusionRows(set: CameraSet, p: SpanParams): string {
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

async function countCameras(db: Queryable, set: CameraSet, window: Bounds): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM cameras c JOIN districts s ON s.id = c.site_id
      WHERE ${setFilter(set)} AND c.commissioned_at < $3 AND (c.retired_at IS NULL OR c.retired_at > $2)`,
    [setParam(set), window.from, window.to],
  );
  return rows[0]?.n ?? 0;
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

// --- the exact side, summed: a node's figures over a few pieces -------------------------------------------

/**
 * The figures of a piece summed over many cameras, in SQL. A camera with no exclusion in the piece has
 * remaining = its lifetime in the piece, so cameraAvailability's buckets are sums over its intervals (which do
 * not overlap, as the ledger writes them): each interval's time in the piece lands whole in the buckets of
 * its state and reason, and the time no interval covers is unknown. Those times are summed in SQL by state and
 * reason, and one cameraAvailability over each summed length stands for them. Cameras with an exclusion in the
 * piece are read in full and computed one by one. Times are taken in the milliseconds the ledger is computed
 * in (node-pg truncates to the millisecond, as date_bin does here).
 */
function exactTotalsSql(set: { kind: 'node' | 'camera'; id: string }): string {
  // summed as intervals (whole microseconds), turned into milliseconds once
  const ms = (span: string) => `extract(epoch FROM sum(${span})) * 1000`;
  // down to the millisecond, as node-pg reads it (date_bin: plain arithmetic, no time zone to apply)
  const trunc = (t: string) => `date_bin('1 millisecond', ${t}, timestamptz '2000-01-01 00:00:00+00')`;
  const overlaps = (from: string, to: string) =>
    `tstzrange(${from}, ${to}, '[]') && tstzrange($4, $5, '[)') AND ${from} < $5 AND (${to} IS NULL OR ${to} > $4)`;
  const xs = `x.status = 'approved' AND ${overlaps('x.from_at', 'x.to_at')}`;
  const from = `greatest(${trunc('i.from_at')}, c.lo)`;
  const to = `least(coalesce(${trunc('i.to_at')}, c.hi), c.hi)`;
  return `
    WITH c AS MATERIALIZED (
      SELECT c.id, c.commissioned_at, c.retired_at,
             greatest($4, ${trunc('c.commissioned_at')}) AS lo, least($5, $6::timestamptz, ${trunc('c.retired_at')}) AS hi
        FROM cameras c JOIN districts s ON s.id = c.site_id
       WHERE ${setFilter(set)} AND c.commissioned_at < $3 AND (c.retired_at IS NULL OR c.retired_at > $2)
    ), iv AS (
      SELECT i.id, i.camera_id, i.from_at, i.to_at, i.state, i.reason FROM state_intervals i
       WHERE ${overlaps('i.from_at', 'i.to_at')}${set.kind === 'camera' ? ' AND i.camera_id = $1::uuid' : ''}
    ), ex AS MATERIALIZED (
      SELECT x.camera_id, x.from_at, x.to_at, x.kind
        FROM availability_exclusions x JOIN c ON c.id = x.camera_id WHERE ${xs}
      UNION ALL
      SELECT c.id, x.from_at, x.to_at, x.kind
        FROM availability_exclusions x JOIN districts s ON s.ancestors @> ARRAY[x.district_id]
        JOIN cameras cs ON cs.site_id = s.id JOIN c ON c.id = cs.id
       WHERE x.district_id IS NOT NULL AND ${xs}
    ), xc AS MATERIALIZED (
      SELECT DISTINCT camera_id FROM ex
    )
    SELECT 'n' AS kind, NULL::uuid AS camera_id, NULL::timestamptz AS a, NULL::timestamptz AS b,
           NULL::text AS state, NULL::text AS reason, (SELECT count(*) FROM c)::float8 AS n
    UNION ALL
    SELECT 't', NULL, NULL, NULL, NULL, NULL, coalesce(${ms('c.hi - c.lo')}, 0)::float8
      FROM c WHERE c.lo < c.hi AND c.id NOT IN (SELECT camera_id FROM xc)
    UNION ALL
    SELECT 'g', NULL, NULL, NULL, i.state, i.reason, (${ms(`${to} - ${from}`)})::float8
      FROM iv i JOIN c ON c.id = i.camera_id
     WHERE c.lo < c.hi AND c.id NOT IN (SELECT camera_id FROM xc) AND ${from} < ${to}
     GROUP BY i.state, i.reason
    UNION ALL
    SELECT 'c', c.id, c.commissioned_at, c.retired_at, NULL, NULL, NULL FROM c JOIN xc ON xc.camera_id = c.id
    UNION ALL
    SELECT 'i', i.camera_id, i.from_at, i.to_at, i.state, i.reason, i.id::float8
      FROM iv i JOIN xc ON xc.camera_id = i.camera_id
    UNION ALL
    SELECT 'x', ex.camera_id, ex.from_at, ex.to_at, ex.kind, NULL, NULL FROM ex`;
}

type TotalsRow = [
  kind: 'n' | 't' | 'g' | 'c' | 'i' | 'x',
  cameraId: string | null,
  a: Date | null,
  b: Date | null,
  state: string | null,
  reason: string | null,
  n: number | null,
];

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

/**
 * One camera's exact figures over each of a few pieces of a window, and whether it was alive in the window:
 * its lifetime, intervals and exclusions over the pieces in one query (its own index), then cameraAvailability
 * per piece over all of them — as cameraFigures over loadLedger(window) does for a piece.
 */
async function exactCamera(
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

// --- the rolled-up side -------------------------------------------------------------------------------

const FIGURE_COLUMNS =
  'scheduled_ms, online_ms, effective_ms, maintenance_ms, external_cause_ms, gap_ms, unknown_ms';

/** The valid rollup markers between two days: rolled up in this zone and not invalidated since. */
const VALID_DAYS = `SELECT day FROM availability_rollup_days
                     WHERE day BETWEEN $2::date AND $3::date AND time_zone = $4 AND invalidated_at IS NULL`;

/**
 * The valid days in [$2, $3] (zone $4) with the figures of the row joined as `t` (none: zeros), as one JSON
 * array of [day, scheduled, online, effective, maintenance, external cause, gap, unknown]: a year of days in
 * one value, parsed natively.
 */
function rolledJson(joined: string): string {
  const figures = FIGURE_COLUMNS.split(', ')
    .map((c) => `coalesce(t.${c}, 0)`)
    .join(', ');
  return `(SELECT coalesce(json_agg(json_build_array(v.day::text, ${figures})), '[]')
             FROM (${VALID_DAYS}) v LEFT JOIN ${joined})`;
}

function parseRolled(days: [string, ...number[]][] | null): Map<string, Availability> {
  const out = new Map<string, Availability>();
  for (const [day, s, o, e, m, x, g, u] of days ?? []) {
    out.set(day, {
      scheduledMs: s ?? 0,
      onlineMs: o ?? 0,
      effectiveMs: e ?? 0,
      maintenanceMs: m ?? 0,
      externalCauseMs: x ?? 0,
      gapMs: g ?? 0,
      unknownMs: u ?? 0,
    });
  }
  return out;
}

/** The rolled-up figures of a node per valid day in [first, last]. */
async function readRolled(
  db: Queryable,
  nodeId: string,
  first: string,
  last: string,
  timeZone: string,
): Promise<Map<string, Availability>> {
  const { rows } = await db.query<{ days: [string, ...number[]][] | null }>({
    name: 'xueliang-rolled-node',
    text: `SELECT ${rolledJson('availability_node_daily t ON t.node_id = $1::uuid AND t.day = v.day')} AS days`,
    values: [nodeId, first, last, timeZone],
  });
  return parseRolled(rows[0]?.days ?? null);
}

/** Pieces split by how they are answered: from the rollups if they can be, exactly otherwise. */
function plan(window: Bounds, now: Date, timeZone: string) {
  const pieces = dayPieces(window, timeZone);
  const candidates = pieces.filter((p) => rollable(p, timeZone, now));
  const candidateDays = new Set(candidates.map((p) => p.day));
  const exact = pieces.filter((p) => !candidateDays.has(p.day));
  return {
    pieces,
    candidates,
    candidateDays,
    exact,
    first: candidates[0],
    last: candidates[candidates.length - 1],
  };
}

/** The ledger of the exact pieces: the window's cameras (zero figures where not alive) and the spans' history. */
async function ledgerOf(
  db: Queryable,
  set: CameraSet,
  cameras: () => Promise<CameraLife[]>,
  pieces: readonly DayPiece[],
): Promise<Ledger | null> {
  if (pieces.length === 0) return null;
  const [list, history] = await together(db, cameras, () => loadHistory(db, set, runsOf(pieces)));
  return { cameras: list, ...history };
}

async function figuresOf(
  db: Queryable,
  set: { kind: 'node' | 'camera'; id: string },
  window: Bounds,
  now: Date,
  timeZone: string,
): Promise<NodeFigures> {
  const { pieces, candidates, exact, first, last } = plan(window, now, timeZone);
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
  const byDay = pieces.map((piece) => ({
    day: piece.day,
    figures: computed.get(piece) ?? (rolled.get(piece.day) as Availability),
  }));
  return { cameras: edges.cameras, total: sumAvailability(byDay.map((d) => d.figures)), byDay };
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
  const { pieces, candidates, exact, first, last } = plan(window, now, timeZone);
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

/**
 * Scheduled and effective time of every camera below a node alive in the window, for gapToTarget: the sums
 * of the camera rows of the rolled-up days plus the exact figures of the rest.
 */
export async function nodeCameraFigures(
  db: Queryable,
  nodeId: string,
  window: Bounds,
  now: Date,
  timeZone: string,
): Promise<NodeCameraFigure[]> {
  const set = { kind: 'node', id: nodeId } as const;
  const { pieces, candidates, candidateDays, exact, first, last } = plan(window, now, timeZone);
  const readSums = async () => {
    if (!first || !last) return { days: new Set<string>(), sums: new Map<string, [number, number]>() };
    // the valid days and the sums over them in one statement, so both come from one snapshot
    const { rows } = await db.query<{
      camera_id: string | null;
      days: string[] | null;
      scheduled_ms: number | string;
      effective_ms: number | string;
    }>(
      `WITH v AS (${VALID_DAYS}),
       -- the days of the range without a valid rollup (few): left out of the sums
       missing AS (SELECT g::date AS day FROM generate_series($2::date, $3::date, interval '1 day') g
                   EXCEPT SELECT day FROM v)
       SELECT NULL::uuid AS camera_id, (SELECT coalesce(array_agg(day::text), '{}') FROM v) AS days,
              0::bigint AS scheduled_ms, 0::bigint AS effective_ms
       UNION ALL
       SELECT c.id, NULL, t.scheduled_ms, t.effective_ms
         FROM cameras c JOIN districts s ON s.id = c.site_id
        CROSS JOIN LATERAL (
          -- a camera's days in its key order, from the index alone
          SELECT sum(d.scheduled_ms)::bigint AS scheduled_ms, sum(d.effective_ms)::bigint AS effective_ms
            FROM availability_camera_daily d
           WHERE d.camera_id = c.id AND d.day BETWEEN $2::date AND $3::date
             AND d.day NOT IN (SELECT day FROM missing)) t
        WHERE s.ancestors @> ARRAY[$1::uuid] AND t.scheduled_ms IS NOT NULL`,
      [nodeId, first.day, last.day, timeZone],
    );
    const days = new Set<string>();
    const sums = new Map<string, [number, number]>();
    for (const r of rows) {
      if (r.camera_id === null) for (const d of r.days ?? []) days.add(d);
      else sums.set(r.camera_id, [Number(r.scheduled_ms), Number(r.effective_ms)]);
    }
    return { days, sums };
  };
  let cameraList: Promise<CameraLife[]> | null = null;
  const camerasOnce = () => {
    cameraList ??= windowCameras(db, set, window, true);
    return cameraList;
  };
  const [rolled, cameras, edgeLedger] = await together(db, readSums, camerasOnce, () =>
    ledgerOf(db, set, camerasOnce, exact),
  );
  const late = candidates.filter((p) => !rolled.days.has(p.day));
  const lateLedger = await ledgerOf(db, set, camerasOnce, late);

  const out = new Map<string, NodeCameraFigure>(
    cameras.map((c) => {
      const [scheduledMs, effectiveMs] = rolled.sums.get(c.id) ?? [0, 0];
      return [c.id, { id: c.id, name: c.name, scheduledMs, effectiveMs }];
    }),
  );
  for (const piece of pieces) {
    const ledger = !candidateDays.has(piece.day)
      ? edgeLedger
      : rolled.days.has(piece.day)
        ? null
        : lateLedger;
    if (!ledger) continue;
    for (const f of cameraFigures(ledger, piece, now)) {
      const c = out.get(f.cameraId);
      if (!c) continue;
      c.scheduledMs += f.scheduledMs;
      c.effectiveMs += f.effectiveMs;
    }
  }
  return [...out.values()];
}
