/**
 * The daily availability rollups: each camera's exact figures per local day (cameraAvailability over the
 * day's bounds, the same computation GET /availability makes), summed per node of the tree, written once a
 * day is over. A day's rows are only trusted while its marker in availability_rollup_days is valid (same
 * time zone, not invalidated); readers fall back to the ledger otherwise, so a rollup only ever makes a
 * figure faster, never different.
 */
import pg from 'pg';
import { type Db, type DbClient, type Queryable, withTransaction } from '../db.js';
import { localDate } from '../governance/local-date.js';
import { type Availability, cameraAvailability } from './availability.js';
import { addDays, localDayBounds } from './calendar.js';
import { cachedDayBounds } from './day-pieces.js';
import { loadHistory, windowCameras } from './window-history.js';

/** Rollups take it exclusively, invalidations shared: an invalidation never lands in the middle of a rollup. */
const ROLLUP_LOCK = 7_246_104_252;
/** Held by the process running the missing days, for as long as it runs them. */
const JOB_LOCK = 7_246_104_253;
/** Rows written per statement. */
const WRITE_BATCH = 5000;
/** The job's bound on days rolled up per call: a year and a bit, the longest window the API allows. */
export const ROLLUP_JOB_MAX_DAYS = 400;

export interface RollupResult {
  day: string;
  /** cameras alive that day */
  cameras: number;
  /** camera rows inserted, changed or removed (0 when the day was already rolled up and nothing changed) */
  cameraRowsChanged: number;
  /** node rows inserted, changed or removed */
  nodeRowsChanged: number;
}

const FIGURES: readonly (readonly [keyof Availability, string])[] = [
  ['scheduledMs', 'scheduled_ms'],
  ['onlineMs', 'online_ms'],
  ['effectiveMs', 'effective_ms'],
  ['maintenanceMs', 'maintenance_ms'],
  ['externalCauseMs', 'external_cause_ms'],
  ['gapMs', 'gap_ms'],
  ['unknownMs', 'unknown_ms'],
];
const COLS = FIGURES.map(([, c]) => c);
const list = (prefix: string) => COLS.map((c) => `${prefix}${c}`).join(', ');

/**
 * Every camera alive on the day, each with its exact figures over the day. The day's intervals and exclusions
 * of all cameras are read with one query each through the span indexes: a county's day is some 15,000
 * intervals, and a query per batch of cameras would walk the same index entries once per batch (ten times
 * the cost at 1,000 cameras a batch, measured).
 */
async function computeDay(
  tx: Queryable,
  bounds: { from: Date; to: Date },
  now: Date,
): Promise<{ ids: string[]; figures: Availability[] }> {
  const cameras = await windowCameras(tx, { kind: 'all' }, bounds, false);
  const { intervalsOf, exclusionsOf } = await loadHistory(tx, { kind: 'all' }, [bounds]);
  const ids: string[] = [];
  const figures: Availability[] = [];
  for (const c of cameras) {
    ids.push(c.id);
    figures.push(
      cameraAvailability({
        intervals: intervalsOf.get(c.id) ?? [],
        exclusions: exclusionsOf.get(c.id) ?? [],
        // as cameraFigures: our own gaps are in the ledger already, as 'unknown' intervals
        gaps: [],
        lifetime: { commissionedAt: c.commissioned_at, retiredAt: c.retired_at },
        window: bounds,
        now,
      }),
    );
  }
  return { ids, figures };
}

async function writeCameraRows(tx: DbClient, day: string, ids: string[], figures: Availability[]) {
  let changed = 0;
  for (let i = 0; i < ids.length; i += WRITE_BATCH) {
    const chunk = figures.slice(i, i + WRITE_BATCH);
    const res = await tx.query(
      `INSERT INTO availability_camera_daily AS d (camera_id, day, ${list('')})
       SELECT u.camera_id, $1::date, ${list('u.')}
         FROM unnest($2::uuid[], ${COLS.map((_, k) => `$${k + 3}::bigint[]`).join(', ')})
           AS u(camera_id, ${list('')})
       ON CONFLICT (camera_id, day) DO UPDATE SET ${COLS.map((c) => `${c} = EXCLUDED.${c}`).join(', ')},
         computed_at = now()
        WHERE (${list('d.')}) IS DISTINCT FROM (${list('EXCLUDED.')})`,
      [day, ids.slice(i, i + WRITE_BATCH), ...FIGURES.map(([key]) => chunk.map((f) => f[key]))],
    );
    changed += res.rowCount ?? 0;
  }
  // cameras no longer alive that day (retired or commissioned anew, or another time zone's day)
  const gone = await tx.query(
    'DELETE FROM availability_camera_daily WHERE day = $1::date AND camera_id NOT IN (SELECT unnest($2::uuid[]))',
    [day, ids],
  );
  return changed + (gone.rowCount ?? 0);
}

/** The day's node rows from its camera rows: every node from each camera's site up to the county. */
async function writeNodeRows(tx: DbClient, day: string): Promise<number> {
  const { rows } = await tx.query<{ changed: number }>(
    `WITH p AS (
       SELECT a.node_id, ${COLS.map((c) => `sum(d.${c}) AS ${c}`).join(', ')}, count(*)::int AS cameras
         FROM availability_camera_daily d
         JOIN cameras c ON c.id = d.camera_id
         JOIN districts s ON s.id = c.site_id
        CROSS JOIN LATERAL unnest(s.ancestors) AS a(node_id)
        WHERE d.day = $1::date
        GROUP BY a.node_id
     ), gone AS (
       DELETE FROM availability_node_daily n WHERE n.day = $1::date AND n.node_id NOT IN (SELECT node_id FROM p)
       RETURNING 1
     ), put AS (
       INSERT INTO availability_node_daily AS n (node_id, day, ${list('')}, cameras)
       SELECT p.node_id, $1::date, ${list('p.')}, p.cameras FROM p
       ON CONFLICT (node_id, day) DO UPDATE SET ${COLS.map((c) => `${c} = EXCLUDED.${c}`).join(', ')},
         cameras = EXCLUDED.cameras, computed_at = now()
        WHERE (${list('n.')}, n.cameras) IS DISTINCT FROM (${list('EXCLUDED.')}, EXCLUDED.cameras)
       RETURNING 1
     )
     SELECT ((SELECT count(*) FROM gone) + (SELECT count(*) FROM put))::int AS changed`,
    [day],
  );
  return rows[0]?.changed ?? 0;
}

/**
 * Rolls up one local day ('YYYY-MM-DD' in timeZone): the exact figures of every camera alive that day, then
 * the day's node rows, then the day's marker, in one transaction. Idempotent: run again over an unchanged
 * ledger it changes no row. Only a day that is over (its end ≤ now) can be rolled up.
 */
export async function rollupDay(db: Db, day: string, timeZone: string, now: Date): Promise<RollupResult> {
  const bounds = localDayBounds(day, timeZone);
  if (bounds.to.getTime() > now.getTime()) {
    throw new RangeError(`rollup: ${day} is not over yet in ${timeZone}`);
  }
  return withTransaction(db, async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [ROLLUP_LOCK]);
    const { ids, figures } = await computeDay(tx, bounds, now);
    const cameraRowsChanged = await writeCameraRows(tx, day, ids, figures);
    const nodeRowsChanged = await writeNodeRows(tx, day);
    await tx.query(
      `INSERT INTO availability_rollup_days AS r (day, time_zone, cameras, computed_at)
       VALUES ($1::date, $2, $3, now())
       ON CONFLICT (day) DO UPDATE SET time_zone = EXCLUDED.time_zone, cameras = EXCLUDED.cameras,
         computed_at = EXCLUDED.computed_at, invalidated_at = NULL
        WHERE r.invalidated_at IS NOT NULL OR r.time_zone <> EXCLUDED.time_zone OR r.cameras <> EXCLUDED.cameras
           OR $4::boolean`,
      [day, timeZone, ids.length, cameraRowsChanged + nodeRowsChanged > 0],
    );
    return { day, cameras: ids.length, cameraRowsChanged, nodeRowsChanged };
  });
}

/**
 * The days that need a rollup, oldest first, at most maxDays: days invalidated (or rolled up in another time
 * zone), then every day after the last one rolled up — from the day of the earliest interval on a fresh
 * database — up to yesterday. Today is never rolled up.
 */
export async function missingDays(
  db: Queryable,
  timeZone: string,
  now: Date,
  maxDays: number,
): Promise<string[]> {
  if (maxDays <= 0) return [];
  const yesterday = addDays(localDate(now, timeZone), -1);
  // a day's end must be over: yesterday's is today's local midnight, never after now
  if (cachedDayBounds(yesterday, timeZone).to.getTime() > now.getTime()) return [];
  const { rows } = await db.query<{ stale: string[]; last: string | null }>(
    `SELECT (SELECT coalesce(array_agg(day::text ORDER BY day), '{}') FROM (
               SELECT day FROM availability_rollup_days
                WHERE day <= $1::date AND (invalidated_at IS NOT NULL OR time_zone <> $2)
                ORDER BY day LIMIT $3) s) AS stale,
            (SELECT max(day)::text FROM availability_rollup_days WHERE time_zone = $2) AS last`,
    [yesterday, timeZone, maxDays],
  );
  const stale = rows[0]?.stale ?? [];
  let start: string | null = rows[0]?.last ? addDays(rows[0].last, 1) : null;
  if (start === null) {
    // the earliest interval of any camera, through each camera's (camera_id, from_at) index
    const { rows: first } = await db.query<{ at: Date | null }>(
      `SELECT min(f.from_at) AS at FROM cameras c
        CROSS JOIN LATERAL (SELECT from_at FROM state_intervals i WHERE i.camera_id = c.id
                             ORDER BY from_at LIMIT 1) f`,
    );
    const at = first[0]?.at;
    if (at) start = localDate(at, timeZone);
  }
  const days = new Set(stale);
  for (let day = start; day !== null && day <= yesterday && days.size < maxDays; day = addDays(day, 1)) {
    days.add(day);
  }
  return [...days].sort().slice(0, maxDays);
}

/**
 * Rolls up the missing days (see missingDays), in order; returns what each rollup did. One process at a time:
 * while another holds the job (several workers ticking), this one returns at once with nothing done.
 */
export async function rollupMissingDays(
  db: Db,
  timeZone: string,
  now: Date,
  maxDays: number,
): Promise<RollupResult[]> {
  const holder = await db.connect();
  try {
    const { rows } = await holder.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [JOB_LOCK]);
    if (!rows[0]?.ok) return [];
    try {
      const results: RollupResult[] = [];
      for (const day of await missingDays(db, timeZone, now, maxDays)) {
        results.push(await rollupDay(db, day, timeZone, now));
      }
      return results;
    } finally {
      await holder.query('SELECT pg_advisory_unlock($1)', [JOB_LOCK]);
    }
  } finally {
    holder.release();
  }
}

/** The periodic job: whatever is missing, up to ROLLUP_JOB_MAX_DAYS days per call. */
export function rollupJob(db: Db, timeZone: string, now: Date): Promise<RollupResult[]> {
  return rollupMissingDays(db, timeZone, now, ROLLUP_JOB_MAX_DAYS);
}

/**
 * Marks days as needing a new rollup after a late change to a camera's past (an exclusion approved
 * afterwards, a backdated interval, a camera moved, commissioned or retired retroactively): deletes the
 * camera's rows (every camera's when cameraId is null) and the rows of the nodes above it for those days, and
 * stamps the days' markers invalidated, so readers compute them exactly until the next rollupJob redoes them.
 *
 * `from`/`to`: local days 'YYYY-MM-DD' (both included) or instants [from, to) (the local days they touch in
 * the time zone each day was rolled up in). Returns the days invalidated. Call it inside the transaction that
 * makes the change (a pool: it opens its own): it waits for a rollup in progress, so none can write rows
 * computed from the old ledger after it.
 */
export async function invalidateDays(
  db: Db | Queryable,
  cameraId: string | null,
  from: string | Date,
  to: string | Date,
): Promise<string[]> {
  const bound = (x: string | Date, end: boolean, n: number) =>
    typeof x === 'string'
      ? `$${n}::date`
      : end
        ? `(($${n}::timestamptz - interval '1 microsecond') AT TIME ZONE r.time_zone)::date`
        : `($${n}::timestamptz AT TIME ZONE r.time_zone)::date`;
  const sql = `
    WITH hit AS (
      UPDATE availability_rollup_days r SET invalidated_at = now()
       WHERE r.day BETWEEN ${bound(from, false, 2)} AND ${bound(to, true, 3)}
      RETURNING r.day
    ), cams AS (
      DELETE FROM availability_camera_daily d USING hit
       WHERE d.day = hit.day AND ($1::uuid IS NULL OR d.camera_id = $1::uuid)
      RETURNING 1
    ), nodes AS (
      DELETE FROM availability_node_daily n USING hit
       WHERE n.day = hit.day
         AND ($1::uuid IS NULL OR n.node_id IN (SELECT unnest(s.ancestors) FROM cameras c
                                                  JOIN districts s ON s.id = c.site_id WHERE c.id = $1::uuid))
      RETURNING 1
    )
    SELECT day::text AS day FROM hit ORDER BY day`;
  const run = async (q: Queryable) => {
    await q.query('SELECT pg_advisory_xact_lock_shared($1)', [ROLLUP_LOCK]);
    const { rows } = await q.query<{ day: string }>(sql, [cameraId, from, to]);
    return rows.map((r) => r.day);
  };
  return db instanceof pg.Pool ? withTransaction(db, run) : run(db);
}
