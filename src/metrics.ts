import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/** One registry per process (or per app instance in tests). Names: xueliang_*, base units, no per-object labels. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'xueliang_' });
  const httpDuration = new Histogram({
    name: 'xueliang_http_request_duration_seconds',
    help: 'HTTP request duration by route template, method and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  return { registry, httpDuration };
}

export type Metrics = ReturnType<typeof createMetrics>;
