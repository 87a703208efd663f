/**
 * The ticket sweep: closes the tickets of cameras seen healthy long enough, opens and reopens tickets for faults
 * that lasted their contract's threshold, and escalates tickets past their deadline. Every change is its own
 * transaction under a row lock (or the camera's ticket lock), so sweeps running at once in several processes
 * neither collide nor duplicate. Nudging the feed after commit is the caller's job (lastFeedId).
 */
import { appendFeed } from '../alerting/feed-repo.js';
import { placePaths } from '../alerting/place-path.js';
import type { Config } from '../config.js';
import { type Db, type DbClient, withTransaction } from '../db.js';
import { closeVerdict, effectiveDue, restoredAt, shouldEscalate, type TicketStatus } from './rules.js';
import { externalCauseOf, SLA_START_SQL } from './sla-reads.js';
import { openTickets } from './sweep-open.js';

export type SweepConfig = Pick<Config, 'timeZone' | 'tickets'>;

export interface SweepResult {
  opened: number;
  reopened: number;
  closed: number;
  escalated: number;
  lastFeedId: number | null;
}

export async function sweepTickets(db: Db, config: SweepConfig, now: Date): Promise<SweepResult> {
  let closed = 0;
  for (const id of await ticketsToVerify(db, config.tickets.verifyHealthySeconds, now)) {
    if (await withTransaction(db, (tx) => closeOne(tx, id, config.tickets.verifyHealthySeconds, now))) {
      closed += 1;
    }
  }
  const opened = await openTickets(db, config, now);
  const escalatedFeedIds: number[] = [];
  for (const id of await ticketsPastNominalDue(db, now)) {
    const feedId = await withTransaction(db, (tx) => escalateOne(tx, id, now));
    if (feedId !== null) escalatedFeedIds.push(feedId);
  }
  const feedIds = [...opened.map((o) => o.feedId), ...escalatedFeedIds];
  return {
    opened: opened.filter((o) => o.kind === 'opened').length,
    reopened: opened.filter((o) => o.kind === 'reopened').length,
    closed,
    escalated: escalatedFeedIds.length,
    lastFeedId: feedIds.length === 0 ? null : Math.max(...feedIds),
  };
}

/** Active tickets whose camera looks healthy long enough (closeOne decides, under the row lock). */
async function ticketsToVerify(db: Db, verifySeconds: number, now: Date): Promise<number[]> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT t.id FROM tickets t JOIN camera_health h ON h.camera_id = t.camera_id
      WHERE t.status <> 'closed' AND h.state = 'online' AND h.since <= $1::timestamptz - make_interval(secs => $2)
      ORDER BY t.id`,
    [now, verifySeconds],
  );
  return rows.map((r) => Number(r.id));
}

async function closeOne(tx: DbClient, id: number, verifySeconds: number, now: Date): Promise<boolean> {
  const { rows } = await tx.query<{
    status: TicketStatus;
    cameraId: string;
    state: string;
    since: Date;
    openAlerts: number;
    slaStart: Date;
  }>(
    `SELECT t.status, t.camera_id AS "cameraId", h.state, h.since, ${SLA_START_SQL} AS "slaStart",
            (SELECT count(*) FROM alerts a
              WHERE a.camera_id = t.camera_id AND a.kind = 'camera' AND a.status <> 'resolved') AS "openAlerts"
       FROM tickets t JOIN camera_health h ON h.camera_id = t.camera_id
      WHERE t.id = $1 FOR UPDATE OF t`,
    [id],
  );
  const t = rows[0];
  const reason = t ? closeVerdict(t.status, t, verifySeconds, now) : null;
  if (!t || !reason) return false;
  await tx.query(`UPDATE tickets SET status = 'closed', closed_at = $2, close_reason = $3 WHERE id = $1`, [
    id,
    now,
    reason,
  ]);
  await tx.query(
    `INSERT INTO ticket_snapshots (ticket_id, role, taken_at, jpeg)
     SELECT $1, 'after_repair', taken_at, jpeg FROM camera_snapshots WHERE camera_id = $2
     ON CONFLICT (ticket_id, role) DO UPDATE SET taken_at = EXCLUDED.taken_at, jpeg = EXCLUDED.jpeg`,
    [id, t.cameraId],
  );
  // 'restored' is when the camera was working again, which the SLA is judged by; 'closed' is when we were sure
  await tx.query(
    `INSERT INTO ticket_events (ticket_id, at, kind, note) VALUES ($1, $2, 'restored', NULL), ($1, $3, 'closed', $4)`,
    [id, restoredAt(t.since, t.slaStart), now, reason],
  );
  return true;
}

/** The deadline with external cause is never earlier than the nominal one, so only these can be overdue. */
async function ticketsPastNominalDue(db: Db, now: Date): Promise<number[]> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT id FROM tickets WHERE status <> 'closed' AND escalated_at IS NULL AND sla_due_at < $1 ORDER BY id`,
    [now],
  );
  return rows.map((r) => Number(r.id));
}

async function escalateOne(tx: DbClient, id: number, now: Date): Promise<number | null> {
  const { rows } = await tx.query<{
    status: TicketStatus;
    escalatedAt: Date | null;
    cameraId: string;
    cameraName: string;
    siteId: string;
    countyId: string;
    contractorId: string;
    alertId: string | null;
    cause: string;
    priority: string;
    slaStart: Date;
    nominalDue: Date;
  }>(
    `SELECT t.status, t.escalated_at AS "escalatedAt", t.camera_id AS "cameraId", c.name AS "cameraName",
            c.site_id AS "siteId", s.ancestors[1] AS "countyId", t.contractor_id AS "contractorId",
            t.alert_id AS "alertId", t.cause, t.priority, t.sla_due_at AS "nominalDue", ${SLA_START_SQL} AS "slaStart"
       FROM tickets t JOIN cameras c ON c.id = t.camera_id JOIN districts s ON s.id = c.site_id
      WHERE t.id = $1 FOR UPDATE OF t`,
    [id],
  );
  const t = rows[0];
  if (!t) return null;
  const excluded = (await externalCauseOf(tx, [t.cameraId], t.slaStart)).get(t.cameraId) ?? [];
  const due = effectiveDue({ start: t.slaStart, nominalDue: t.nominalDue }, excluded);
  if (!shouldEscalate(t, due, now)) return null;
  await tx.query('UPDATE tickets SET escalated_at = $2 WHERE id = $1', [id, now]);
  await tx.query(`INSERT INTO ticket_events (ticket_id, at, kind, note) VALUES ($1, $2, 'escalated', $3)`, [
    id,
    now,
    `SLA due ${due.toISOString()}`,
  ]);
  const path = (await placePaths(tx, [t.siteId])).get(t.siteId);
  // placed at the county, not the site: an escalation is addressed to the bureau, not to the duty desks
  const [feedId] = await appendFeed(tx, [
    {
      alertId: t.alertId === null ? null : Number(t.alertId),
      ticketId: id,
      kind: 'ticket_escalated',
      at: now,
      placeId: t.countyId,
      severity: 'critical',
      payload: {
        ticketId: id,
        contractorId: t.contractorId,
        cameraId: t.cameraId,
        cameraName: t.cameraName,
        placeId: t.siteId,
        placePath: path?.names ?? [],
        cause: t.cause,
        priority: t.priority,
        slaDueAt: due.toISOString(),
        status: t.status,
        escalatedAt: now.toISOString(),
      },
    },
  ]);
  return feedId ?? null;
}
