import type { Db } from '../db.js';

/** 'probe_results_20261129' for the local UTC day of `at`. */
function partitionName(day: Date): string {
  return `probe_results_${day.toISOString().slice(0, 10).replaceAll('-', '')}`;
}

function utcDay(at: Date, plusDays: number): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate() + plusDays));
}

/**
 * Raw probe results live in one partition per UTC day, created ahead of time; old days are dropped whole,
 * which costs nothing compared with deleting millions of rows. Rows that land outside every partition go to
 * the default one and are pruned by age.
 */
export async function maintainPartitions(
  db: Db,
  now: Date,
  retentionDays: number,
  daysAhead = 2,
): Promise<void> {
  for (let d = 0; d <= daysAhead; d++) {
    const from = utcDay(now, d);
    const to = utcDay(now, d + 1);
    const name = partitionName(from);
    try {
      await db.query(
        `CREATE TABLE IF NOT EXISTS ${name} PARTITION OF probe_results
           FOR VALUES FROM ('${from.toISOString()}') TO ('${to.toISOString()}')`,
      );
    } catch (err) {
      // today's rows may already sit in the default partition (the first start of the day): leave them there
      if ((err as { code?: string }).code !== '23514') throw err;
    }
  }
  const { rows } = await db.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
       JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'probe_results' AND c.relname ~ '^probe_results_[0-9]{8}$'`,
  );
  const oldest = partitionName(utcDay(now, -retentionDays));
  for (const { name } of rows) {
    if (name < oldest) await db.query(`DROP TABLE IF EXISTS ${name}`);
  }
  await db.query(`DELETE FROM probe_results_default WHERE slot_at < $1`, [utcDay(now, -retentionDays)]);
}
