import { Gauge, type Registry } from 'prom-client';
import type { Queryable } from '../db.js';
import type { ScrapeReads } from '../metrics-read.js';
import type { Severity } from './rules.js';

const SEVERITIES: readonly Severity[] = ['critical', 'major', 'minor'];

/** Unresolved alerts (open or acknowledged) by severity and kind (a camera's, or a group's), at each scrape. */
export function registerAlertGauges(registry: Registry, db: Queryable, reads: ScrapeReads): void {
  const read = reads.shared('alerts', async () => {
    const { rows } = await db.query<{ severity: string; kind: string; n: number }>(
      `SELECT severity, kind, count(*)::int AS n FROM alerts WHERE status <> 'resolved' GROUP BY 1, 2`,
    );
    return rows;
  });
  new Gauge({
    name: 'xueliang_alerts_open',
    help: 'Unresolved alerts (open or acknowledged) by severity and kind (camera, group)',
    labelNames: ['severity', 'kind'] as const,
    registers: [registry],
    async collect() {
      const rows = await read();
      this.reset();
      if (!rows) return;
      for (const severity of SEVERITIES)
        for (const kind of ['camera', 'group']) this.set({ severity, kind }, 0);
      for (const r of rows) this.set({ severity: r.severity, kind: r.kind }, r.n);
    },
  });
}
