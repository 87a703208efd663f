import { Counter, type Registry } from 'prom-client';
import { withDeadline } from './deadline.js';

/**
 * Gauges read from Postgres or Redis when Prometheus scrapes. prom-client starts every metric's collect of a
 * scrape in the same tick, so the gauges fed by one query share one read: a read is reused while it is in
 * flight, and the next scrape reads afresh. A read that fails or outlives `timeoutMs` is counted and gives
 * nothing (its series disappear for that scrape), so a slow database never holds /metrics up and never fails
 * the other series.
 */
export class ScrapeReads {
  private readonly errors: Counter<'source'>;

  constructor(
    registry: Registry,
    private readonly timeoutMs: number,
  ) {
    const existing = registry.getSingleMetric('xueliang_metrics_read_errors_total');
    this.errors =
      (existing as Counter<'source'> | undefined) ??
      new Counter({
        name: 'xueliang_metrics_read_errors_total',
        help: 'Reads behind gauges (Postgres, Redis) that failed or timed out during a scrape, by source',
        labelNames: ['source'] as const,
        registers: [registry],
      });
  }

  /** A read shared by the gauges of one scrape; null when it failed. */
  shared<T>(source: string, read: () => Promise<T>): () => Promise<T | null> {
    let inFlight: Promise<T | null> | null = null;
    return () => {
      inFlight ??= withDeadline(read(), this.timeoutMs, `metrics read ${source}`)
        .catch(() => {
          this.errors.inc({ source });
          return null;
        })
        .finally(() => {
          inFlight = null;
        });
      return inFlight;
    };
  }
}
