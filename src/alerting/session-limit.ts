/**
 * Session-limit alerts come from probe results, not from a health state: a 453/503 answer is inconclusive for
 * the camera's health (someone else holds its sessions), but a camera that refuses every probe for
 * `sessionLimitSlots` slots in a row cannot be watched by anyone new — the duty desk must know.
 */
import type { Config } from '../config.js';
import type { Queryable } from '../db.js';

export interface SessionLimitChanges {
  open: { cameraId: string; siteId: string; since: Date }[];
  /** cameras with an open session-limit alert whose last slot was answered */
  resolve: string[];
}

export async function sessionLimitChanges(
  q: Queryable,
  config: Config,
  now: Date,
): Promise<SessionLimitChanges> {
  const slots = config.alerting.sessionLimitSlots;
  // a little more than the slots asked for, so a late slot does not end the run
  const windowMs = config.probe.intervalMs * (slots + 2);
  const { rows } = await q.query<{
    camera_id: string;
    site_id: string;
    since: Date;
    action: 'open' | 'resolve';
  }>(
    `WITH last AS (
       SELECT camera_id, handshake, slot_at,
              row_number() OVER (PARTITION BY camera_id ORDER BY slot_at DESC) AS n
         FROM probe_results
        WHERE kind = 'slot' AND slot_at > $1::timestamptz - make_interval(secs => $2 / 1000.0)
     ), runs AS (
       SELECT camera_id, min(slot_at) AS since, count(*) AS n, bool_and(handshake = 'session_limit') AS refused,
              bool_and(handshake = 'session_limit') FILTER (WHERE n = 1) AS last_refused
         FROM last WHERE n <= $3 GROUP BY camera_id
     )
     SELECT c.id AS camera_id, c.site_id, r.since,
            CASE WHEN r.refused AND r.n >= $3 THEN 'open' ELSE 'resolve' END AS action
       FROM runs r JOIN cameras c ON c.id = r.camera_id
       LEFT JOIN camera_health h ON h.camera_id = c.id
      WHERE (r.refused AND r.n >= $3 AND h.state IS DISTINCT FROM 'maintenance')
         OR (NOT r.last_refused AND EXISTS (
              SELECT 1 FROM alerts a WHERE a.camera_id = c.id AND a.kind = 'camera' AND a.cause = 'session_limit'
                AND a.status <> 'resolved'))`,
    [now, windowMs, slots],
  );
  const open: SessionLimitChanges['open'] = [];
  const resolve: string[] = [];
  for (const r of rows) {
    if (r.action === 'open') open.push({ cameraId: r.camera_id, siteId: r.site_id, since: r.since });
    else resolve.push(r.camera_id);
  }
  return { open, resolve };
}
