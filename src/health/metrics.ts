import { Gauge, type Registry } from 'prom-client';
import type { Queryable } from '../db.js';
import { HEALTH_STATES } from './types.js';

/**
 * Cameras by state per town, read from the stored health when Prometheus scrapes. Labels are bounded: a dozen
 * towns (by code) times five states. Series of towns that no longer exist disappear with the reset.
 */
export function registerHealthGauges(registry: Registry, db: Queryable): void {
  new Gauge({
    name: 'xueliang_cameras',
    help: 'Active cameras by health state and town (code)',
    labelNames: ['town', 'state'] as const,
    registers: [registry],
    async collect() {
      const { rows } = await db.query<{ town: string; state: string; n: number }>(
        `SELECT t.code AS town, COALESCE(h.state, 'unknown') AS state, count(*)::int AS n
           FROM cameras c
           JOIN districts s ON s.id = c.site_id
           JOIN districts t ON t.id = s.ancestors[2]
           LEFT JOIN camera_health h ON h.camera_id = c.id
          WHERE c.retired_at IS NULL
          GROUP BY 1, 2`,
      );
      this.reset();
      const towns = new Set(rows.map((r) => r.town));
      for (const town of towns) for (const state of HEALTH_STATES) this.set({ town, state }, 0);
      for (const r of rows) this.set({ town: r.town, state: r.state }, r.n);
    },
  });
}
