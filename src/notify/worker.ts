/**
 * The notify queue's worker: one job delivers one feed entry to one route. A failed attempt is retried with
 * exponential backoff for as long as the notification is younger than config.notify.maxAgeSeconds; then it is
 * recorded as a dead letter and not tried again. Job data holds ids only; the route's URL and secret are opened
 * here, sent, and never logged (the log names the host).
 */
import { type Job, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { type FeedEntry, readFeed } from '../alerting/feed-repo.js';
import type { Queryable } from '../db.js';
import { bullPrefix, type NotifyJob, QUEUES } from '../queues.js';
import { redactSecrets } from '../redact.js';
import type { WorkerContext } from '../worker-context.js';
import { recordDeadLetter } from './dead-letters.js';
import { NOTIFY_BACKOFF } from './dispatcher.js';
import {
  buildRequest,
  type Channel,
  type OutboundRequest,
  type RouteTarget,
  robotAccepted,
} from './formats.js';
import { nextAttemptDelay } from './retry.js';
import { routeForDelivery } from './routes-repo.js';

export type NotifyOutcome = 'delivered' | 'gone' | 'disabled';

async function feedEntry(q: Queryable, id: number): Promise<FeedEntry | null> {
  const [entry] = await readFeed(q, id - 1, 1);
  return entry?.id === id ? entry : null;
}

/** Sends one request; throws an Error whose message is safe to store and log (no URL, no secret). */
async function send(
  channel: Channel,
  request: OutboundRequest,
  target: RouteTarget,
  timeoutMs: number,
): Promise<void> {
  let res: Response;
  try {
    res = await fetch(request.url, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    if (e.name === 'TimeoutError' || e.name === 'AbortError')
      throw new Error(`no answer within ${timeoutMs} ms`);
    throw new Error(`connection failed (${e.cause?.code ?? e.name})`);
  }
  const body = await res.text().catch(() => '');
  if (res.status < 200 || res.status > 299) throw new Error(`HTTP ${res.status}`);
  const verdict = robotAccepted(channel, body);
  if (!verdict.ok) throw new Error(redactSecrets(verdict.reason, secretsOf(target)));
}

/** The target's secret and the values in its URL's query (a robot's access token or key). */
function secretsOf(target: RouteTarget): string[] {
  const values = [...new URL(target.url).searchParams.values()];
  return [target.url, ...values, ...(target.secret ? [target.secret] : [])];
}

export function createNotifyWorker(
  ctx: WorkerContext,
  connection: Redis,
  opts: { concurrency?: number } = {},
): Worker<NotifyJob, NotifyOutcome> {
  const { db, vault, config, log } = ctx;
  const policy = config.notify;

  const attempt = async (job: Job<NotifyJob>, where: Record<string, unknown>): Promise<NotifyOutcome> => {
    const { routeId, feedId } = job.data;
    const [route, entry] = await Promise.all([routeForDelivery(db, vault, routeId), feedEntry(db, feedId)]);
    if (!route || !entry) {
      log.info(where, 'notify: route or feed entry gone, nothing to send');
      return 'gone';
    }
    if (!route.enabled) return 'disabled';
    Object.assign(where, { channel: route.channel, host: route.targetHost });
    const request = buildRequest(route.channel, route.target, entry, {
      consoleUrl: config.alerting.consoleUrl,
      timeZone: config.timeZone,
      deliveryId: `${feedId}.${routeId}`,
      nowMs: Date.now(),
    });
    await send(route.channel, request, route.target, policy.timeoutMs);
    log.debug({ ...where, attempts: job.attemptsMade + 1 }, 'notify: delivered');
    return 'delivered';
  };

  const process = async (job: Job<NotifyJob>): Promise<NotifyOutcome> => {
    const where: Record<string, unknown> = { routeId: job.data.routeId, feedId: job.data.feedId };
    try {
      return await attempt(job, where);
    } catch (err) {
      const reason = (err as Error).message;
      const attempts = job.attemptsMade + 1;
      if (nextAttemptDelay(attempts, job.timestamp, Date.now(), policy) === null) {
        await recordDeadLetter(db, { ...job.data, attempts, lastError: reason });
        log.error({ ...where, attempts, err: reason }, 'notify: gave up, recorded as a dead letter');
        throw new UnrecoverableError(reason);
      }
      log.warn({ ...where, attempts, err: reason }, 'notify: attempt failed, will retry');
      throw err;
    }
  };

  const worker = new Worker<NotifyJob, NotifyOutcome>(QUEUES.notify, process, {
    connection,
    prefix: bullPrefix(config),
    concurrency: opts.concurrency ?? 16,
    settings: {
      // Past the age limit the attempt records a dead letter; if that failed too (database away), keep trying.
      backoffStrategy: (attemptsMade, type, _err, job) =>
        type === NOTIFY_BACKOFF && job
          ? (nextAttemptDelay(attemptsMade, job.timestamp, Date.now(), policy) ?? policy.maxBackoffMs)
          : policy.backoffMs,
    },
  });
  worker.on('error', (err) => log.warn({ err: { message: err.message } }, 'notify worker error'));
  return worker;
}
