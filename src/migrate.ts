import { fileURLToPath } from 'node:url';
import pg from 'pg';
import Postgrator from 'postgrator';

const MIGRATIONS = fileURLToPath(new URL('./migrations/*.do.*.sql', import.meta.url));
// Any 64-bit number unique to this purpose: concurrent starters wait for one another.
const MIGRATION_LOCK = 7_246_104_251;

/**
 * Applies the numbered SQL files of src/migrations in order, each in its own transaction.
 * Safe to run from several processes at once (an advisory lock serialises them) and idempotent.
 */
export async function migrate(databaseUrl: string): Promise<{ from: number; to: number }> {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    const postgrator = new Postgrator({
      migrationPattern: MIGRATIONS,
      driver: 'pg',
      schemaTable: 'schema_version',
      execQuery: (query) => client.query(query),
      // a multi-statement script runs as one implicit transaction in Postgres' simple protocol
      execSqlScript: async (script) => {
        await client.query(`BEGIN;\n${script}\n;COMMIT;`);
      },
    });
    const from = await postgrator.getDatabaseVersion();
    const applied = await postgrator.migrate();
    const to = applied.length > 0 ? Math.max(...applied.map((m) => m.version)) : from;
    return { from, to };
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await client.end();
  }
}
