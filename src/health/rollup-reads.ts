/**
 * Reading the daily rollups (availability_node_daily / availability_camera_daily, written by rollup-repo):
 * only the days whose marker is valid, so a stale or missing rollup is never read.
 */
import type { Queryable } from '../db.js';
import type { Availability } from './availability.js';

const FIGURE_COLUMNS =
  'scheduled_ms, online_ms, effective_ms, maintenance_ms, external_cause_ms, gap_ms, unknown_ms';

/** The valid rollup markers between two days: rolled up in this zone and not invalidated since. */
export const VALID_DAYS = `SELECT day FROM availability_rollup_days
                     WHERE day BETWEEN $2::date AND $3::date AND time_zone = $4 AND invalidated_at IS NULL`;

/**
 * The valid days in [$2, $3] (zone $4) with the figures of the row joined as `t` (none: zeros), as one JSON
 * array of [day, scheduled, online, effective, maintenance, external cause, gap, unknown]: a year of days in
 * one value, parsed natively.
 */
export function rolledJson(joined: string): string {
  const figures = FIGURE_COLUMNS.split(', ')
    .map((c) => `coalesce(t.${c}, 0)`)
    .join(', ');
  return `(SELECT coalesce(json_agg(json_build_array(v.day::text, ${figures})), '[]')
             FROM (${VALID_DAYS}) v LEFT JOIN ${joined})`;
}

export function parseRolled(days: [string, ...number[]][] | null): Map<string, Availability> {
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
export async function readRolled(
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

/** readRolled for each of several nodes: every valid day in [first, last] for each (no row: zeros). */
export async function readRolledByNode(
  db: Queryable,
  nodeIds: readonly string[],
  first: string,
  last: string,
  timeZone: string,
): Promise<Map<string, Map<string, Availability>>> {
  const { rows } = await db.query<{ node_id: string; days: [string, ...number[]][] | null }>(
    `SELECT g.node_id, ${rolledJson('availability_node_daily t ON t.node_id = g.node_id AND t.day = v.day')} AS days
       FROM unnest($1::uuid[]) AS g(node_id)`,
    [nodeIds, first, last, timeZone],
  );
  return new Map(rows.map((r) => [r.node_id, parseRolled(r.days)]));
}
