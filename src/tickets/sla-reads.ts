import type { Queryable } from '../db.js';
import type { Interval } from './rules.js';

/**
 * When a ticket's SLA clock started: its opening or its last reopening (the events keep both). Use with the
 * ticket aliased `t`.
 */
export const SLA_START_SQL = `COALESCE((SELECT max(e.at) FROM ticket_events e
   WHERE e.ticket_id = t.id AND e.kind IN ('opened', 'reopened')), t.opened_at)`;

/**
 * Approved external-cause time of each camera from `since` on: exclusions on the camera itself or on any node
 * above its site.
 */
export async function externalCauseOf(
  q: Queryable,
  cameraIds: readonly string[],
  since: Date,
): Promise<Map<string, Interval[]>> {
  const byCamera = new Map<string, Interval[]>();
  if (cameraIds.length === 0) return byCamera;
  const { rows } = await q.query<{ camera_id: string; from_at: Date; to_at: Date }>(
    `SELECT c.id AS camera_id, x.from_at, x.to_at
       FROM cameras c
       JOIN districts s ON s.id = c.site_id
       JOIN availability_exclusions x
         ON x.kind = 'external_cause' AND x.status = 'approved' AND x.to_at > $2
        AND (x.camera_id = c.id OR x.district_id = ANY (s.ancestors))
      WHERE c.id = ANY ($1::uuid[])`,
    [[...new Set(cameraIds)], since],
  );
  for (const r of rows) {
    const list = byCamera.get(r.camera_id) ?? [];
    list.push({ from: r.from_at, to: r.to_at });
    byCamera.set(r.camera_id, list);
  }
  return byCamera;
}

/** The earliest of some instants (for `since` above); now when there are none. */
export function earliest(instants: readonly Date[], fallback: Date): Date {
  return instants.reduce((a, b) => (b.getTime() < a.getTime() ? b : a), fallback);
}
