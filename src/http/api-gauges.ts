import type { Redis } from 'ioredis';
import { registerAlertGauges } from '../alerting/metrics.js';
import { registerHealthGauges } from '../health/metrics.js';
import { ScrapeReads } from '../metrics-read.js';
import { registerQueueGauges } from '../queue-metrics.js';
import { registerTicketGauges } from '../tickets/metrics.js';
import type { Deps } from './deps.js';

/**
 * The county-wide gauges an API instance serves at /metrics, read from Postgres and Redis at scrape time:
 * cameras and rates, alerts, tickets, queues. Every instance serves the same values (dashboards take max).
 * Returns a close for the queue handles.
 */
export function registerApiGauges({ metrics, db, config, log }: Deps, bull: Redis): () => Promise<void> {
  const reads = new ScrapeReads(metrics.registry, config.dependencyTimeoutMs);
  registerHealthGauges(metrics.registry, db, reads);
  registerAlertGauges(metrics.registry, db, reads);
  registerTicketGauges(metrics.registry, db, reads, config.timeZone);
  return registerQueueGauges(metrics.registry, reads, config, bull, log);
}
