/**
 * Turns the alert feed into notification jobs: reads the entries after the 'notify' stage cursor, enqueues one
 * job per entry and matching route, and moves the cursor past them. The cursor row stays locked from the read to
 * the move, so two dispatchers take turns; the job ids are deterministic, so entries enqueued again after a
 * crash between the enqueue and the cursor update are not sent twice.
 *
 * A new deployment starts at the end of the feed: on the first run the cursor is created at the newest entry,
 * so a feed that was written before notifications were set up is not replayed to the new routes.
 */
import type { JobsOptions, Queue } from 'bullmq';
import type { Logger } from 'pino';
import { readFeed } from '../alerting/feed-repo.js';
import { type Db, withTransaction } from '../db.js';
import type { NotifyJob } from '../queues.js';
import { notifyJobId, routesFor } from './match.js';
import { UNLIMITED_ATTEMPTS } from './retry.js';
import { enabledRoutes } from './routes-repo.js';

const STAGE = 'notify';
/** the worker's backoff strategy (worker.ts) handles this type */
export const NOTIFY_BACKOFF = 'notify-age';

/** Retries are bounded by age (worker.ts), not by count; completed ids are kept a day to dedupe re-dispatch. */
export function notifyJobOptions(jobId: string): JobsOptions {
  return {
    jobId,
    attempts: UNLIMITED_ATTEMPTS,
    backoff: { type: NOTIFY_BACKOFF },
    removeOnComplete: { age: 86_400 },
    removeOnFail: { age: 7 * 86_400 },
  };
}

export interface DispatchOptions {
  /** feed entries read per transaction */
  batchSize?: number;
}

/** Dispatches everything in the feed after the cursor; returns the number of jobs enqueued. */
export async function dispatchNotifications(
  db: Db,
  queue: Queue<NotifyJob>,
  log: Logger,
  opts: DispatchOptions = {},
): Promise<number> {
  const batchSize = opts.batchSize ?? 500;
  let enqueued = 0;
  for (;;) {
    const { jobs, entries } = await withTransaction(db, async (tx) => {
      const cursor = await lockCursor(tx);
      const feed = await readFeed(tx, cursor, batchSize);
      if (feed.length === 0) return { jobs: 0, entries: 0 };
      const routes = await enabledRoutes(tx);
      const bulk = feed.flatMap((entry) =>
        routesFor(entry, routes).map((routeId) => ({
          name: entry.kind,
          data: { routeId, feedId: entry.id } satisfies NotifyJob,
          opts: notifyJobOptions(notifyJobId(entry.id, routeId)),
        })),
      );
      if (bulk.length > 0) await queue.addBulk(bulk);
      const last = feed[feed.length - 1]?.id as number;
      await tx.query('UPDATE stage_cursors SET last_id = $2 WHERE stage = $1', [STAGE, last]);
      return { jobs: bulk.length, entries: feed.length };
    });
    enqueued += jobs;
    if (jobs > 0) log.debug({ entries, jobs }, 'notify: dispatched feed entries');
    if (entries < batchSize) return enqueued;
  }
}

/** The cursor, locked for this transaction; created at the newest feed entry on the first run. */
async function lockCursor(tx: Pick<Db, 'query'>): Promise<number> {
  await tx.query(
    `INSERT INTO stage_cursors (stage, last_id) SELECT $1, COALESCE(max(id), 0) FROM alert_feed
     ON CONFLICT (stage) DO NOTHING`,
    [STAGE],
  );
  const { rows } = await tx.query<{ last_id: number }>(
    'SELECT last_id FROM stage_cursors WHERE stage = $1 FOR UPDATE',
    [STAGE],
  );
  return Number(rows[0]?.last_id ?? 0);
}
