/**
 * Reading tickets within the caller's scope: a contractor its own, a duty desk those of cameras under its node,
 * the bureau and admins all. Outside the scope a ticket does not exist (404).
 */
import type { Principal } from '../auth/policy.js';
import { placeInScope } from '../auth/scope.js';
import type { Queryable } from '../db.js';
import { NotFoundError } from '../errors.js';
import type { Page, PageOf } from '../sql.js';
import { Params } from '../sql.js';
import type { PhotoType } from './photo.js';
import {
  ACTIVE_STATUSES,
  type CloseReason,
  type Countdown,
  countdown,
  type Priority,
  type TicketStatus,
} from './rules.js';
import { earliest, externalCauseOf, SLA_START_SQL } from './sla-reads.js';

export function ticketInScope(who: Principal, params: Params): string {
  if (who.role === 'contractor') return `t.contractor_id = ${params.p(who.contractorId)}`;
  return placeInScope(who, 'c.site_id', params);
}

const FROM = `tickets t JOIN cameras c ON c.id = t.camera_id JOIN districts s ON s.id = c.site_id
  JOIN contractors k ON k.id = t.contractor_id`;

const COLUMNS = `t.id, t.camera_id AS "cameraId", c.name AS "cameraName", c.site_id AS "siteId",
  (SELECT array_agg(a.name ORDER BY p.n) FROM unnest(s.ancestors) WITH ORDINALITY p(id, n)
     JOIN districts a ON a.id = p.id) AS "placePath",
  t.contractor_id AS "contractorId", k.name AS "contractorName", t.contract_id AS "contractId",
  t.alert_id AS "alertId", t.cause, t.priority, t.status, t.fault_since AS "faultSince", t.opened_at AS "openedAt",
  ${SLA_START_SQL} AS "slaStartedAt", t.sla_due_at AS "nominalSlaDueAt", t.acknowledged_at AS "acknowledgedAt",
  t.acknowledged_by AS "acknowledgedBy", t.repaired_at AS "repairedAt", t.repaired_by AS "repairedBy",
  t.closed_at AS "closedAt", t.close_reason AS "closeReason", t.reopened_count AS "reopenedCount",
  t.escalated_at AS "escalatedAt", t.dispute_exclusion_id AS "disputeExclusionId"`;

interface TicketRow {
  id: number;
  cameraId: string;
  cameraName: string;
  siteId: string;
  placePath: string[];
  contractorId: string;
  contractorName: string;
  contractId: string;
  alertId: number | null;
  cause: string;
  priority: Priority;
  status: TicketStatus;
  faultSince: Date;
  openedAt: Date;
  slaStartedAt: Date;
  nominalSlaDueAt: Date;
  acknowledgedAt: Date | null;
  acknowledgedBy: string | null;
  repairedAt: Date | null;
  repairedBy: string | null;
  closedAt: Date | null;
  closeReason: CloseReason | null;
  reopenedCount: number;
  escalatedAt: Date | null;
  disputeExclusionId: string | null;
}

export type Ticket = Omit<TicketRow, 'id' | 'alertId'> & Countdown & { id: number; alertId: number | null };

async function withCountdowns(q: Queryable, rows: TicketRow[], now: Date): Promise<Ticket[]> {
  const since = earliest(
    rows.map((r) => r.slaStartedAt),
    now,
  );
  const excluded = await externalCauseOf(
    q,
    rows.map((r) => r.cameraId),
    since,
  );
  return rows.map((r) => ({
    ...r,
    id: Number(r.id),
    alertId: r.alertId === null ? null : Number(r.alertId),
    ...countdown(
      { start: r.slaStartedAt, nominalDue: r.nominalSlaDueAt },
      excluded.get(r.cameraId) ?? [],
      r.status,
      now,
    ),
  }));
}

export interface TicketFilter {
  status?: TicketStatus;
  cameraId?: string;
}

/**
 * Active tickets (at most one per camera) sorted by their deadline with external cause, soonest first; closed
 * ones most recently closed first.
 */
export async function listTickets(
  q: Queryable,
  who: Principal,
  filter: TicketFilter,
  page: Page,
  now = new Date(),
): Promise<PageOf<Ticket>> {
  const params = new Params();
  const where = [ticketInScope(who, params)];
  const closed = filter.status === 'closed';
  where.push(
    filter.status ? `t.status = ${params.p(filter.status)}` : `t.status = ANY (${params.p(ACTIVE_STATUSES)})`,
  );
  if (filter.cameraId) where.push(`t.camera_id = ${params.p(filter.cameraId)}`);
  const sql = `SELECT ${COLUMNS}, count(*) OVER () AS total FROM ${FROM} WHERE ${where.join(' AND ')}`;
  if (closed) {
    const { rows } = await q.query<TicketRow & { total: number }>(
      `${sql} ORDER BY t.closed_at DESC, t.id DESC LIMIT ${params.p(page.limit)} OFFSET ${params.p(page.offset)}`,
      params.values,
    );
    return { items: await withCountdowns(q, rows, now), total: rows[0]?.total ?? 0, ...page };
  }
  const { rows } = await q.query<TicketRow>(sql, params.values);
  const all = await withCountdowns(q, rows, now);
  all.sort((a, b) => a.slaDueAt.getTime() - b.slaDueAt.getTime() || a.id - b.id);
  return { items: all.slice(page.offset, page.offset + page.limit), total: all.length, ...page };
}

/** One ticket in scope, optionally row-locked for a change; 404 outside the scope. */
export async function findTicket(q: Queryable, who: Principal, id: number, lock = false): Promise<Ticket> {
  const params = new Params();
  const { rows } = await q.query<TicketRow>(
    `SELECT ${COLUMNS} FROM ${FROM} WHERE t.id = ${params.p(id)} AND ${ticketInScope(who, params)}
     ${lock ? 'FOR UPDATE OF t' : ''}`,
    params.values,
  );
  if (!rows[0]) throw new NotFoundError('ticket', String(id));
  return (await withCountdowns(q, rows, new Date()))[0] as Ticket;
}

export interface TicketEvent {
  id: number;
  at: Date;
  kind: string;
  actor: string | null;
  actorName: string | null;
  note: string | null;
}

export interface TicketDetail extends Ticket {
  events: TicketEvent[];
  snapshots: { role: string; takenAt: Date; sizeBytes: number }[];
  photos: {
    id: string;
    contentType: PhotoType;
    sizeBytes: number;
    uploadedBy: string | null;
    uploadedAt: Date;
  }[];
  dispute: {
    id: string;
    status: 'requested' | 'approved' | 'rejected';
    from: Date;
    to: Date;
    reason: string;
    evidence: string | null;
  } | null;
}

export async function getTicket(q: Queryable, who: Principal, id: number): Promise<TicketDetail> {
  const ticket = await findTicket(q, who, id);
  const [events, snapshots, photos, dispute] = await Promise.all([
    q.query<TicketEvent>(
      `SELECT e.id, e.at, e.kind, e.actor, u.username AS "actorName", e.note
         FROM ticket_events e LEFT JOIN users u ON u.id = e.actor WHERE e.ticket_id = $1 ORDER BY e.id`,
      [id],
    ),
    q.query<TicketDetail['snapshots'][number]>(
      `SELECT role, taken_at AS "takenAt", length(jpeg) AS "sizeBytes" FROM ticket_snapshots
        WHERE ticket_id = $1 ORDER BY role`,
      [id],
    ),
    q.query<TicketDetail['photos'][number]>(
      `SELECT id, content_type AS "contentType", size_bytes AS "sizeBytes", uploaded_by AS "uploadedBy",
              uploaded_at AS "uploadedAt" FROM ticket_photos WHERE ticket_id = $1 ORDER BY uploaded_at, id`,
      [id],
    ),
    q.query<NonNullable<TicketDetail['dispute']>>(
      `SELECT id, status, from_at AS "from", to_at AS "to", reason, evidence FROM availability_exclusions
        WHERE id = $1`,
      [ticket.disputeExclusionId],
    ),
  ]);
  return {
    ...ticket,
    events: events.rows,
    snapshots: snapshots.rows,
    photos: photos.rows,
    dispute: dispute.rows[0] ?? null,
  };
}

export async function ticketSnapshot(q: Queryable, who: Principal, id: number, role: string) {
  await findTicket(q, who, id);
  const { rows } = await q.query<{ jpeg: Buffer; takenAt: Date }>(
    'SELECT jpeg, taken_at AS "takenAt" FROM ticket_snapshots WHERE ticket_id = $1 AND role = $2',
    [id, role],
  );
  if (!rows[0]) throw new NotFoundError(`${role} snapshot of ticket`, String(id));
  return rows[0];
}

export async function ticketPhoto(q: Queryable, who: Principal, id: number, photoId: string) {
  await findTicket(q, who, id);
  const { rows } = await q.query<{ body: Buffer; contentType: string; uploadedAt: Date }>(
    `SELECT body, content_type AS "contentType", uploaded_at AS "uploadedAt" FROM ticket_photos
      WHERE ticket_id = $1 AND id = $2`,
    [id, photoId],
  );
  if (!rows[0]) throw new NotFoundError('photo', photoId);
  return rows[0];
}
