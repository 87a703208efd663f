/**
 * The alerting worker's work, in one process or many: the alert stage (health events → alerts), the ticket
 * sweep (faults → tickets, repairs verified, SLA escalated), the notification dispatcher (feed → jobs) and the
 * notification worker (jobs → webhooks and robots), and last month's availability report once the month is
 * over. Every part is safe to run in several processes at once: the stage, the dispatcher and the report take
 * locks in Postgres, tickets are unique per camera, jobs have fixed ids.
 */
import type { Redis } from 'ioredis';
import { AlertStage } from './alerting/alert-stage.js';
import { feedChannel, nudgeFeed } from './alerting/feed-repo.js';
import { dispatchNotifications } from './notify/dispatcher.js';
import { createNotifyWorker } from './notify/worker.js';
import { createQueue, type NotifyJob, QUEUES } from './queues.js';
import { createRedis } from './redis.js';
import { generateDueReport } from './reports/monthly-repo.js';
import { SerialRunner } from './serial-runner.js';
import { sweepTickets } from './tickets/sweep.js';
import type { WorkerContext } from './worker-context.js';

export interface AlertingService {
  /** runs the ticket sweep now (tests and the demo use it rather than wait for its period) */
  sweepNow(): void;
  /** checks now that the due monthly report exists, generating it if not (tests use it too) */
  monthlyReportNow(): void;
  close(): Promise<void>;
}

export async function startAlertingService(
  ctx: WorkerContext,
  /** a BullMQ connection (the notification queue and worker) */
  connection: Redis,
  opts: { now?: () => Date } = {},
): Promise<AlertingService> {
  const { config, log, db } = ctx;
  const now = opts.now ?? (() => new Date());
  const publisher = createRedis(config.redisUrl, config.redisPrefix, log, 'alerting');
  const subscriber = createRedis(config.redisUrl, config.redisPrefix, log, 'alerting-sub');
  const warn = (what: string) => (err: Error) =>
    log.warn({ err: { message: err.message } }, `${what}: ${err.message}`);

  const stage = new AlertStage({ db, config, log }, publisher, subscriber);

  const notifyQueue = createQueue<NotifyJob>(config, QUEUES.notify, connection, log);
  const notifyWorker = createNotifyWorker(ctx, connection);
  const dispatcher = new SerialRunner(async () => {
    await dispatchNotifications(db, notifyQueue, log);
    return false;
  }, warn('notification dispatch')).every(config.alerting.pollMs);

  const sweeper = new SerialRunner(async () => {
    const result = await sweepTickets(db, config, now());
    if (result.lastFeedId !== null) await nudgeFeed(publisher, config, result.lastFeedId);
    return false;
  }, warn('ticket sweep')).every(config.tickets.sweepSeconds * 1000);

  const reporter = new SerialRunner(async () => {
    const month = await generateDueReport(db, config.timeZone, now());
    if (month) log.info({ month }, `monthly availability report ${month} generated`);
    return false;
  }, warn('monthly report')).every(config.reports.monthlyCheckSeconds * 1000);

  const channel = feedChannel(config);
  subscriber.on('message', (ch: string) => {
    if (ch === channel) dispatcher.kick();
  });
  subscriber.on('ready', () => void subscriber.subscribe(channel).catch(() => undefined));
  await subscriber.subscribe(channel);
  await stage.start();
  dispatcher.kick();
  sweeper.kick();
  reporter.kick();

  return {
    sweepNow: () => sweeper.kick(),
    monthlyReportNow: () => reporter.kick(),
    close: async () => {
      await Promise.allSettled([stage.close(), dispatcher.close(), sweeper.close(), reporter.close()]);
      await notifyWorker.close();
      await notifyQueue.close();
      subscriber.disconnect();
      publisher.disconnect();
    },
  };
}
