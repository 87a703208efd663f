/**
 * Notifications that kept failing until their age limit: recorded by the worker, listed for admins and the
 * bureau, and replayed by an admin (a fresh job with a fresh age limit).
 */
import type { Queue } from 'bullmq';
import { audit } from '../audit.js';
import { isSystem, type Principal } from '../auth/policy.js';
import { type Db, type Queryable, withTransaction } from '../db.js';
import { ConflictError, NotFoundError } from '../errors.js';
import type { NotifyJob } from '../queues.js';
import { listPage, type Page, type PageOf, Params } from '../sql.js';
import { notifyJobOptions } from './dispatcher.js';
import type { Channel } from './formats.js';

export interface DeadLetter {
  id: number;
  routeId: string;
  routeName: string;
  channel: Channel;
  targetHost: string;
  feedId: number;
  feedKind: string;
  alertId: number | null;
  ticketId: number | null;
  attempts: number;
  lastError: string;
  failedAt: Date;
  replayedAt: Date | null;
  replayedBy: string | null;
}

const COLUMNS = `d.id, d.route_id AS "routeId", r.name AS "routeName", r.channel, r.target_host AS "targetHost",
  d.feed_id AS "feedId", f.kind AS "feedKind", f.alert_id AS "alertId", f.ticket_id AS "ticketId", d.attempts,
  d.last_error AS "lastError", d.failed_at AS "failedAt", d.replayed_at AS "replayedAt",
  d.replayed_by AS "replayedBy"`;
const FROM = `notification_dead_letters d JOIN notification_routes r ON r.id = d.route_id
  JOIN alert_feed f ON f.id = d.feed_id`;

/** Records a notification given up on; one pending row per route and entry, however often the job fails. */
export async function recordDeadLetter(
  q: Queryable,
  letter: { routeId: string; feedId: number; attempts: number; lastError: string },
): Promise<void> {
  await q.query(
    `INSERT INTO notification_dead_letters (route_id, feed_id, attempts, last_error)
     SELECT $1, $2, $3, $4
      WHERE NOT EXISTS (SELECT 1 FROM notification_dead_letters
                         WHERE route_id = $1 AND feed_id = $2 AND replayed_at IS NULL)`,
    [letter.routeId, letter.feedId, letter.attempts, letter.lastError.slice(0, 1000)],
  );
}

export async function listDeadLetters(
  q: Queryable,
  filter: { pending?: boolean },
  page: Page,
): Promise<PageOf<DeadLetter>> {
  const where: string[] = [];
  if (filter.pending === true) where.push('d.replayed_at IS NULL');
  if (filter.pending === false) where.push('d.replayed_at IS NOT NULL');
  return listPage<DeadLetter, DeadLetter>(q, {
    select: COLUMNS,
    from: FROM,
    where,
    orderBy: 'd.id DESC',
    params: new Params(),
    page,
    map: (r) => r,
  });
}

async function getDeadLetter(q: Queryable, id: number): Promise<DeadLetter> {
  const { rows } = await q.query<DeadLetter>(`SELECT ${COLUMNS} FROM ${FROM} WHERE d.id = $1`, [id]);
  if (!rows[0]) throw new NotFoundError('notification dead letter', String(id));
  return rows[0];
}

/**
 * Sends a dead letter again as a new job. The job is added before the commit under an id of its own, so a
 * failed commit followed by a second replay enqueues nothing twice.
 */
export async function replayDeadLetter(
  db: Db,
  queue: Queue<NotifyJob>,
  who: Principal,
  id: number,
): Promise<DeadLetter> {
  return withTransaction(db, async (tx) => {
    const { rows } = await tx.query<{ route_id: string; feed_id: number; replayed_at: Date | null }>(
      'SELECT route_id, feed_id, replayed_at FROM notification_dead_letters WHERE id = $1 FOR UPDATE',
      [id],
    );
    const row = rows[0];
    if (!row) throw new NotFoundError('notification dead letter', String(id));
    if (row.replayed_at !== null)
      throw new ConflictError(`notification dead letter ${id} was replayed already`);
    await tx.query(
      'UPDATE notification_dead_letters SET replayed_at = now(), replayed_by = $2 WHERE id = $1',
      [id, isSystem(who) ? null : who.userId],
    );
    await audit(tx, who, 'replay', 'notification_dead_letter', String(id), {
      routeId: row.route_id,
      feedId: Number(row.feed_id),
    });
    await queue.add(
      'replay',
      { routeId: row.route_id, feedId: Number(row.feed_id) },
      notifyJobOptions(`replay-${id}`),
    );
    return getDeadLetter(tx, id);
  });
}
