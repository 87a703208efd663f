import pg from 'pg';
import type { Logger } from 'pino';

export type Db = pg.Pool;
export type DbClient = pg.PoolClient;
/** What a repository needs: a pool or a client inside a transaction. */
export type Queryable = Pick<pg.Pool, 'query'>;

// Dates and timestamps come back as JS Dates (timestamptz) — keep `date` columns as 'YYYY-MM-DD' strings.
pg.types.setTypeParser(pg.types.builtins.DATE, (value) => value);
// bigint counts (count(*)) fit comfortably in a JS number here.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

export function createPool(databaseUrl: string, log: Logger, opts: { statementTimeoutMs?: number } = {}): Db {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: 10,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30000,
    statement_timeout: opts.statementTimeoutMs ?? 30000,
    application_name: 'xueliang',
  });
  // An idle client losing its server must not crash the process: log it, the pool replaces the client.
  pool.on('error', (err) => log.warn({ err }, 'db: idle client error'));
  return pool;
}

export async function withTransaction<T>(pool: Db, fn: (client: DbClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
