/**
 * Reading the durable health events (the outbox of the probe workers) in commit-safe order, and the nudge
 * that tells the alerting stage to read them now rather than at its next poll.
 */
import type { Redis } from 'ioredis';
import type { Config } from '../config.js';
import { type Db, withTransaction } from '../db.js';
import { HEALTH_EVENTS_WRITE_LOCK } from '../health/ledger-repo.js';
import type { HealthState } from '../health/types.js';

export interface HealthEvent {
  id: number;
  cameraId: string;
  cameraName: string;
  siteId: string;
  /** the camera's site path, county first */
  path: string[];
  at: Date;
  to: HealthState;
  toReason: string | null;
}

/**
 * The highest event id below which every event has committed: taken while no event writer is in flight. Ids
 * are handed out before commit, so a plain max(id) could pass over a lower id that commits a moment later.
 */
export async function committedHighWater(db: Db): Promise<number> {
  return withTransaction(db, async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [HEALTH_EVENTS_WRITE_LOCK]);
    const { rows } = await tx.query<{ id: string | null }>('SELECT max(id) AS id FROM health_events');
    return Number(rows[0]?.id ?? 0);
  });
}

export async function readHealthEvents(
  q: Pick<Db, 'query'>,
  afterId: number,
  upToId: number,
  limit: number,
): Promise<HealthEvent[]> {
  const { rows } = await q.query<{
    id: string;
    camera_id: string;
    name: string;
    site_id: string;
    path: string[];
    at: Date;
    to_state: HealthState;
    to_reason: string | null;
  }>(
    `SELECT e.id, e.camera_id, c.name, c.site_id, d.ancestors AS path, e.at, e.to_state, e.to_reason
       FROM health_events e JOIN cameras c ON c.id = e.camera_id JOIN districts d ON d.id = c.site_id
      WHERE e.id > $1 AND e.id <= $2 ORDER BY e.id LIMIT $3`,
    [afterId, upToId, limit],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    cameraId: r.camera_id,
    cameraName: r.name,
    siteId: r.site_id,
    path: r.path,
    at: r.at,
    to: r.to_state,
    toReason: r.to_reason,
  }));
}

export function healthEventsChannel(config: Pick<Config, 'redisPrefix'>): string {
  return `${config.redisPrefix}health-events`;
}

/** Called by a probe worker after a batch with state changes commits. Best effort: the stage also polls. */
export function nudgeHealthEvents(redis: Redis, config: Pick<Config, 'redisPrefix'>): void {
  redis.publish(healthEventsChannel(config), '1').catch(() => undefined);
}
