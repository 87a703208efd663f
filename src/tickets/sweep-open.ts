/**
 * The opening half of the ticket sweep: an unresolved camera alert that has lasted its contract's threshold
 * opens a ticket for the contractor covering the camera, or reopens the camera's ticket that closed recently.
 */
import { appendFeed } from '../alerting/feed-repo.js';
import { placePaths } from '../alerting/place-path.js';
import type { Severity } from '../alerting/rules.js';
import type { Config } from '../config.js';
import { type Db, type DbClient, type Queryable, withTransaction } from '../db.js';
import { localDate } from '../governance/local-date.js';
import {
  type FaultCandidate,
  type PlaceClass,
  priorityOf,
  shouldReopen,
  slaHours,
  ticketFault,
} from './rules.js';

/** Per-camera lock of the ticket writers (first key), so two sweeps never both open a camera's ticket. */
export const TICKET_CAMERA_LOCK = 0x78_6c_74_6b; // 'xltk'

interface AlertRow extends FaultCandidate {
  cameraId: string;
  cameraName: string;
  siteId: string;
  placeClass: PlaceClass;
  contractId: string;
  contractorId: string;
  thresholdMinutes: number;
  slaHoursTownSeat: number;
  slaHoursVillage: number;
}

/**
 * Unresolved camera alerts of cameras without an active ticket and not in maintenance, each with the contract
 * in force on `today` that covers the camera's site most specifically (the deepest covering node).
 */
async function candidateAlerts(q: Queryable, today: string): Promise<AlertRow[]> {
  const { rows } = await q.query<AlertRow & { alertId: string }>(
    `SELECT a.id AS "alertId", a.cause, a.severity, a.opened_at AS since, c.id AS "cameraId",
            c.name AS "cameraName", c.site_id AS "siteId", c.place_class AS "placeClass",
            k.id AS "contractId", k.contractor_id AS "contractorId", k.fault_threshold_minutes AS "thresholdMinutes",
            k.sla_hours_town_seat AS "slaHoursTownSeat", k.sla_hours_village AS "slaHoursVillage"
       FROM alerts a
       JOIN cameras c ON c.id = a.camera_id AND c.retired_at IS NULL
       JOIN districts s ON s.id = c.site_id
       LEFT JOIN camera_health h ON h.camera_id = c.id
       JOIN LATERAL (
         SELECT k.* FROM contract_areas ca
           JOIN contracts k ON k.id = ca.contract_id
           JOIN districts area ON area.id = ca.district_id
          WHERE s.ancestors @> ARRAY[ca.district_id] AND $1::date BETWEEN k.valid_from AND k.valid_to
          ORDER BY cardinality(area.ancestors) DESC, k.valid_from DESC, k.id
          LIMIT 1) k ON true
      WHERE a.kind = 'camera' AND a.status <> 'resolved'
        AND h.state IS DISTINCT FROM 'maintenance'
        AND NOT EXISTS (SELECT 1 FROM tickets t WHERE t.camera_id = c.id AND t.status <> 'closed')`,
    [today],
  );
  return rows.map((r) => ({ ...r, alertId: Number(r.alertId) }));
}

export interface OpenOutcome {
  kind: 'opened' | 'reopened';
  feedId: number;
}

/** Opens (or reopens) the tickets due at `now`, one transaction per camera. */
export async function openTickets(
  db: Db,
  config: Pick<Config, 'timeZone' | 'tickets'>,
  now: Date,
): Promise<OpenOutcome[]> {
  const alerts = await candidateAlerts(db, localDate(now, config.timeZone));
  const byCamera = new Map<string, AlertRow[]>();
  for (const a of alerts) byCamera.set(a.cameraId, [...(byCamera.get(a.cameraId) ?? []), a]);
  const outcomes: OpenOutcome[] = [];
  for (const cameraAlerts of byCamera.values()) {
    const first = cameraAlerts[0] as AlertRow;
    const fault = ticketFault(cameraAlerts, first.thresholdMinutes, now);
    if (!fault) continue;
    const outcome = await withTransaction(db, (tx) =>
      openOne(tx, fault, config.tickets.reopenWithinHours, now),
    );
    if (outcome) outcomes.push(outcome);
  }
  return outcomes;
}

async function openOne(
  tx: DbClient,
  fault: AlertRow,
  reopenWithinHours: number,
  now: Date,
): Promise<OpenOutcome | null> {
  await tx.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [TICKET_CAMERA_LOCK, fault.cameraId]);
  // under the lock, what another sweep may have done meanwhile is visible
  const { rows: stale } = await tx.query(
    `SELECT 1 FROM alerts WHERE id = $1 AND status = 'resolved'
     UNION ALL SELECT 1 FROM tickets WHERE camera_id = $2 AND status <> 'closed'`,
    [fault.alertId, fault.cameraId],
  );
  if (stale.length > 0) return null;
  const { rows: lastRows } = await tx.query<{ id: string; contractorId: string; closedAt: Date }>(
    `SELECT id, contractor_id AS "contractorId", closed_at AS "closedAt" FROM tickets
      WHERE camera_id = $1 AND status = 'closed' ORDER BY closed_at DESC LIMIT 1`,
    [fault.cameraId],
  );
  const last = lastRows[0] ?? null;
  const reopen = shouldReopen(
    last,
    { since: fault.since, contractorId: fault.contractorId },
    reopenWithinHours,
  );
  const priority = priorityOf(fault.severity);
  const due = new Date(now.getTime() + slaHours(fault, fault.placeClass) * 3_600_000);
  const values = [fault.alertId, fault.cause, priority, fault.since, due, fault.contractId];
  let ticketId: number;
  if (reopen && last) {
    await tx.query(
      `UPDATE tickets SET status = 'open', reopened_count = reopened_count + 1, alert_id = $1, cause = $2,
              priority = $3, fault_since = $4, sla_due_at = $5, contract_id = $6, acknowledged_at = NULL,
              acknowledged_by = NULL, repaired_at = NULL, repaired_by = NULL, closed_at = NULL,
              close_reason = NULL, escalated_at = NULL
        WHERE id = $7`,
      [...values, last.id],
    );
    ticketId = Number(last.id);
  } else {
    const { rows } = await tx.query<{ id: string }>(
      `INSERT INTO tickets (alert_id, cause, priority, fault_since, sla_due_at, contract_id, camera_id,
                            contractor_id, status, opened_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'open', $9)
       ON CONFLICT (camera_id) WHERE status <> 'closed' DO NOTHING RETURNING id`,
      [...values, fault.cameraId, fault.contractorId, now],
    );
    if (!rows[0]) return null;
    ticketId = Number(rows[0].id);
  }
  await tx.query(
    `INSERT INTO ticket_snapshots (ticket_id, role, taken_at, jpeg)
     SELECT $1, CASE WHEN taken_at < $3 THEN 'last_good' ELSE 'at_fault' END, taken_at, jpeg
       FROM camera_snapshots WHERE camera_id = $2
     ON CONFLICT (ticket_id, role) DO UPDATE SET taken_at = EXCLUDED.taken_at, jpeg = EXCLUDED.jpeg`,
    [ticketId, fault.cameraId, fault.since],
  );
  const kind = reopen ? 'reopened' : 'opened';
  await tx.query('INSERT INTO ticket_events (ticket_id, at, kind, note) VALUES ($1, $2, $3, $4)', [
    ticketId,
    now,
    kind,
    `${fault.cause} (${priority})`,
  ]);
  const path = (await placePaths(tx, [fault.siteId])).get(fault.siteId);
  const [feedId] = await appendFeed(tx, [
    {
      alertId: fault.alertId,
      ticketId,
      kind: 'ticket_opened',
      at: now,
      placeId: fault.siteId,
      severity: fault.severity as Severity,
      payload: {
        ticketId,
        contractorId: fault.contractorId,
        cameraId: fault.cameraId,
        cameraName: fault.cameraName,
        placeId: fault.siteId,
        placePath: path?.names ?? [],
        cause: fault.cause,
        priority,
        slaDueAt: due.toISOString(),
        status: 'open',
        ...(reopen ? { reopened: true } : {}),
      },
    },
  ]);
  return { kind, feedId: feedId as number };
}
