/**
 * Scheduled and effective time per camera below a node over a window — the input of gapToTarget (which
 * cameras, if fixed, would lift the node to the target) — from the camera rollups where valid, exactly from
 * the ledger otherwise.
 */
import type { Queryable } from '../db.js';
import { cameraFigures, type Ledger } from './availability-repo.js';
import type { Bounds, DayPiece } from './calendar.js';
import { contiguousRuns, planWindow } from './day-pieces.js';
import { together } from './pg-reads.js';
import { VALID_DAYS } from './rollup-reads.js';
import { type CameraLife, type CameraSet, loadHistory, windowCameras } from './window-history.js';

export interface NodeCameraFigure {
  id: string;
  name: string;
  scheduledMs: number;
  effectiveMs: number;
}

/** The ledger of the exact pieces: the window's cameras (zero figures where not alive) and the spans' history. */
async function ledgerOf(
  db: Queryable,
  set: CameraSet,
  cameras: () => Promise<CameraLife[]>,
  pieces: readonly DayPiece[],
): Promise<Ledger | null> {
  if (pieces.length === 0) return null;
  const [list, history] = await together(db, cameras, () => loadHistory(db, set, contiguousRuns(pieces)));
  return { cameras: list, ...history };
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
  const { pieces, candidates, candidateDays, exact, first, last } = planWindow(window, now, timeZone);
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
