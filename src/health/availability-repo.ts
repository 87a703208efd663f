import type { Queryable } from '../db.js';
import { type Availability, cameraAvailability, type Exclusion, type StateInterval } from './availability.js';
import type { Bounds } from './calendar.js';

interface CameraLife {
  id: string;
  name: string;
  commissioned_at: Date;
  retired_at: Date | null;
}

export interface CameraAvailability extends Availability {
  cameraId: string;
  name: string;
}

export interface Ledger {
  cameras: CameraLife[];
  intervalsOf: Map<string, StateInterval[]>;
  exclusionsOf: Map<string, Exclusion[]>;
}

/**
 * The ledger of every camera below a node of the tree over a window: their lifetimes, state intervals and the
 * approved exclusions (on the camera or on any node above it). Read once; figures for any sub-window of it are
 * then computed in memory. The caller checks the node's scope.
 */
export async function loadLedger(db: Queryable, nodeId: string, window: Bounds): Promise<Ledger> {
  const { rows: cameras } = await db.query<CameraLife>(
    `SELECT c.id, c.name, c.commissioned_at, c.retired_at FROM cameras c JOIN districts s ON s.id = c.site_id
      WHERE s.ancestors @> ARRAY[$1::uuid] AND c.commissioned_at < $3 AND (c.retired_at IS NULL OR c.retired_at > $2)`,
    [nodeId, window.from, window.to],
  );
  if (cameras.length === 0) return { cameras, intervalsOf: new Map(), exclusionsOf: new Map() };
  const ids = cameras.map((c) => c.id);
  const { rows: intervals } = await db.query<{
    camera_id: string;
    from_at: Date;
    to_at: Date | null;
    state: StateInterval['state'];
    reason: string | null;
  }>(
    `SELECT camera_id, from_at, to_at, state, reason FROM state_intervals
      WHERE camera_id = ANY($1::uuid[]) AND from_at < $3 AND (to_at IS NULL OR to_at > $2)
      ORDER BY camera_id, from_at`,
    [ids, window.from, window.to],
  );
  const { rows: exclusions } = await db.query<{
    camera_id: string;
    from_at: Date;
    to_at: Date;
    kind: Exclusion['kind'];
  }>(
    `SELECT c.id AS camera_id, x.from_at, x.to_at, x.kind
       FROM availability_exclusions x
       JOIN cameras c ON c.id = ANY($1::uuid[])
       JOIN districts s ON s.id = c.site_id
      WHERE x.status = 'approved' AND x.from_at < $3 AND x.to_at > $2
        AND (x.camera_id = c.id OR s.ancestors @> ARRAY[x.district_id])`,
    [ids, window.from, window.to],
  );
  const group = <T extends { camera_id: string }, U>(list: T[], map: (item: T) => U) => {
    const out = new Map<string, U[]>();
    for (const item of list) {
      const bucket = out.get(item.camera_id) ?? [];
      bucket.push(map(item));
      out.set(item.camera_id, bucket);
    }
    return out;
  };
  return {
    cameras,
    intervalsOf: group(intervals, (i) => ({
      from: i.from_at,
      to: i.to_at,
      state: i.state,
      reason: i.reason,
    })),
    exclusionsOf: group(exclusions, (x) => ({ from: x.from_at, to: x.to_at, kind: x.kind })),
  };
}

/** Each camera's figures over a window (inside the one the ledger was read for). */
export function cameraFigures(ledger: Ledger, window: Bounds, now: Date): CameraAvailability[] {
  return ledger.cameras.map((c) => ({
    cameraId: c.id,
    name: c.name,
    ...cameraAvailability({
      intervals: ledger.intervalsOf.get(c.id) ?? [],
      exclusions: ledger.exclusionsOf.get(c.id) ?? [],
      // gaps of our own making are in the ledger already, as 'unknown' intervals (reason monitoring_gap)
      gaps: [],
      lifetime: { commissionedAt: c.commissioned_at, retiredAt: c.retired_at },
      window,
      now,
    }),
  }));
}

/** The current state of every camera below a node (cameras never probed count as unknown). */
export async function currentStates(db: Queryable, nodeId: string) {
  const { rows } = await db.query<{ state: StateInterval['state']; reason: string | null; n: number }>(
    `SELECT COALESCE(h.state, 'unknown') AS state, h.reason, count(*)::int AS n
       FROM cameras c JOIN districts s ON s.id = c.site_id LEFT JOIN camera_health h ON h.camera_id = c.id
      WHERE s.ancestors @> ARRAY[$1::uuid] AND c.retired_at IS NULL AND c.commissioned_at <= now()
      GROUP BY 1, 2`,
    [nodeId],
  );
  return rows;
}
