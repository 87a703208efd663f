import { Gauge, type Registry } from 'prom-client';
import { systemPrincipal } from '../auth/policy.js';
import type { Queryable } from '../db.js';
import { localMonth } from '../governance/local-date.js';
import { localMonthBounds } from '../health/calendar.js';
import type { ScrapeReads } from '../metrics-read.js';
import { contractorReport } from './reports-repo.js';
import type { TicketStatus } from './rules.js';

const ACTIVE: readonly TicketStatus[] = ['open', 'acknowledged', 'verifying'];

/**
 * Tickets at each scrape: the active ones by status, those escalated for a missed SLA (the ticket sweep marks
 * them within its period), and the tickets opened this calendar month whose SLA was breached — the same count
 * as the contractor report's "breached" over the month.
 */
export function registerTicketGauges(
  registry: Registry,
  db: Queryable,
  reads: ScrapeReads,
  timeZone: string,
): void {
  const active = reads.shared('tickets', async () => {
    const { rows } = await db.query<{ status: TicketStatus; overdue: boolean; n: number }>(
      `SELECT status, escalated_at IS NOT NULL AS overdue, count(*)::int AS n
         FROM tickets WHERE status <> 'closed' GROUP BY 1, 2`,
    );
    return rows;
  });
  const month = reads.shared('tickets_month', async () => {
    const now = new Date();
    const rows = await contractorReport(
      db,
      systemPrincipal,
      localMonthBounds(localMonth(now, timeZone), timeZone),
      now,
    );
    return rows.reduce((sum, r) => sum + r.breached, 0);
  });

  new Gauge({
    name: 'xueliang_tickets_open',
    help: 'Active fault tickets by status (open, acknowledged, verifying)',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      const rows = await active();
      this.reset();
      if (!rows) return;
      for (const status of ACTIVE) this.set({ status }, 0);
      for (const r of rows) this.inc({ status: r.status }, r.n);
    },
  });
  new Gauge({
    name: 'xueliang_tickets_overdue',
    help: 'Active tickets past their SLA deadline (escalated to the bureau)',
    registers: [registry],
    async collect() {
      const rows = await active();
      this.reset();
      if (rows) this.set(rows.filter((r) => r.overdue).reduce((sum, r) => sum + r.n, 0));
    },
  });
  new Gauge({
    name: 'xueliang_tickets_breached_month',
    help: 'Tickets opened this calendar month (county time) whose SLA was breached',
    registers: [registry],
    async collect() {
      const breached = await month();
      this.reset();
      if (breached !== null) this.set(breached);
    },
  });
}
