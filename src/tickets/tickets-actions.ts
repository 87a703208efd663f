/**
 * What people do to a ticket: acknowledge, note, mark repaired, attach photos, dispute as external cause. Each
 * change locks the ticket row, writes a ticket event and the audit log in one transaction.
 */
import { audit } from '../audit.js';
import type { Principal } from '../auth/policy.js';
import { type Db, type DbClient, withTransaction } from '../db.js';
import { ConflictError, ValidationError } from '../errors.js';
import type { PhotoType } from './photo.js';
import { findTicket, type Ticket } from './tickets-read.js';

async function change<T>(
  db: Db,
  who: Principal,
  id: number,
  fn: (tx: DbClient, ticket: Ticket) => Promise<T>,
): Promise<T> {
  return withTransaction(db, async (tx) => fn(tx, await findTicket(tx, who, id, true)));
}

async function event(tx: DbClient, who: Principal, id: number, kind: string, note: string | null = null) {
  await tx.query('INSERT INTO ticket_events (ticket_id, actor, kind, note) VALUES ($1, $2, $3, $4)', [
    id,
    who.userId,
    kind,
    note,
  ]);
}

export async function acknowledgeTicket(db: Db, who: Principal, id: number): Promise<void> {
  await change(db, who, id, async (tx, t) => {
    if (t.status !== 'open') throw new ConflictError(`ticket ${id} is ${t.status}, not open`, 'status');
    await tx.query(
      `UPDATE tickets SET status = 'acknowledged', acknowledged_at = now(), acknowledged_by = $2 WHERE id = $1`,
      [id, who.userId],
    );
    await event(tx, who, id, 'acknowledged');
    await audit(tx, who, 'acknowledge', 'ticket', String(id));
  });
}

export async function addTicketNote(db: Db, who: Principal, id: number, note: string): Promise<void> {
  await change(db, who, id, async (tx) => {
    await event(tx, who, id, 'note', note);
    await audit(tx, who, 'note', 'ticket', String(id));
  });
}

/**
 * The contractor says the camera works again. The ticket waits in 'verifying' until the sweep has seen the
 * camera healthy long enough; marking it repaired also acknowledges it.
 */
export async function markRepaired(db: Db, who: Principal, id: number, note: string | null): Promise<void> {
  await change(db, who, id, async (tx, t) => {
    if (t.status === 'verifying' || t.status === 'closed') {
      throw new ConflictError(`ticket ${id} is already ${t.status}`, 'status');
    }
    await tx.query(
      `UPDATE tickets SET status = 'verifying', repaired_at = now(), repaired_by = $2,
              acknowledged_at = COALESCE(acknowledged_at, now()), acknowledged_by = COALESCE(acknowledged_by, $2)
        WHERE id = $1`,
      [id, who.userId],
    );
    await event(tx, who, id, 'repaired', note);
    await audit(tx, who, 'repaired', 'ticket', String(id));
  });
}

export interface PhotoMeta {
  id: string;
  contentType: PhotoType;
  sizeBytes: number;
  uploadedBy: string;
  uploadedAt: Date;
}

/** Stores a photo already checked by photoProblem. */
export async function addTicketPhoto(
  db: Db,
  who: Principal,
  id: number,
  contentType: PhotoType,
  body: Buffer,
): Promise<PhotoMeta> {
  return change(db, who, id, async (tx) => {
    const { rows } = await tx.query<PhotoMeta>(
      `INSERT INTO ticket_photos (ticket_id, content_type, size_bytes, body, uploaded_by)
       VALUES ($1, $2, $3, $4, $5)
       RETURNING id, content_type AS "contentType", size_bytes AS "sizeBytes", uploaded_by AS "uploadedBy",
                 uploaded_at AS "uploadedAt"`,
      [id, contentType, body.length, body, who.userId],
    );
    const photo = rows[0] as PhotoMeta;
    await event(tx, who, id, 'photo', photo.id);
    await audit(tx, who, 'add_photo', 'ticket', String(id), { photoId: photo.id, bytes: body.length });
    return photo;
  });
}

export const DISPUTE_CAUSES = ['power_cut', 'carrier_link', 'other'] as const;

export interface DisputeInput {
  cause: (typeof DISPUTE_CAUSES)[number];
  reason: string;
  evidence: string;
  from?: string;
  to?: string;
}

/**
 * The contractor says the fault has an external cause: an external-cause exclusion is requested for the camera
 * (from the fault's start to now unless given), which the bureau approves or rejects with the exclusion API.
 * Written here rather than through requestExclusion: a contractor has no place scope, and the request and its
 * link to the ticket belong in one transaction.
 */
export async function disputeTicket(db: Db, who: Principal, id: number, input: DisputeInput): Promise<void> {
  await change(db, who, id, async (tx, t) => {
    const from = input.from ? new Date(input.from) : t.faultSince;
    const to = input.to ? new Date(input.to) : (t.closedAt ?? new Date());
    if (to <= from) throw new ValidationError('to', 'must be after from');
    if (t.disputeExclusionId) {
      const { rows } = await tx.query<{ status: string }>(
        'SELECT status FROM availability_exclusions WHERE id = $1',
        [t.disputeExclusionId],
      );
      if (rows[0]?.status === 'requested') {
        throw new ConflictError(`ticket ${id} has a dispute awaiting the bureau`, 'dispute');
      }
    }
    const { rows } = await tx.query<{ id: string }>(
      `INSERT INTO availability_exclusions (kind, camera_id, from_at, to_at, reason, evidence, requested_by)
       VALUES ('external_cause', $1, $2, $3, $4, $5, $6) RETURNING id`,
      [t.cameraId, from, to, `[${input.cause}] ${input.reason}`, input.evidence, who.userId],
    );
    const exclusionId = (rows[0] as { id: string }).id;
    await tx.query('UPDATE tickets SET dispute_exclusion_id = $2 WHERE id = $1', [id, exclusionId]);
    await event(tx, who, id, 'disputed', `${input.cause}: ${input.reason}`);
    await audit(tx, who, 'request', 'availability_exclusion', exclusionId, {
      kind: 'external_cause',
      ticketId: id,
    });
    await audit(tx, who, 'dispute', 'ticket', String(id), { cause: input.cause, exclusionId });
  });
}
