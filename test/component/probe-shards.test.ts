import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shardOfSql } from '../../src/probing/slots.js';
import { freshDatabase } from '../support/harness.js';

// Workers select their shard's cameras in SQL; the split is Postgres' own, so it is checked in Postgres.
let db: pg.Client;

beforeAll(async () => {
  db = new pg.Client({ connectionString: await freshDatabase() });
  await db.connect();
});

afterAll(async () => {
  await db?.end();
});

describe('probe shards', () => {
  it('put every camera in exactly one shard, evenly, the same way every time', async () => {
    const ids = Array.from({ length: 10_000 }, () => randomUUID());
    const query = `SELECT id, ${shardOfSql('id', '$2')} AS shard FROM unnest($1::uuid[]) AS t(id) ORDER BY id`;
    const first = (await db.query<{ id: string; shard: string }>(query, [ids, 64])).rows;
    const again = (await db.query<{ id: string; shard: string }>(query, [ids, 64])).rows;
    expect(again).toEqual(first);
    expect(first).toHaveLength(ids.length);
    const counts = new Array(64).fill(0);
    for (const { shard } of first) counts[Number(shard)]++;
    expect(counts.reduce((a, b) => a + b, 0)).toBe(ids.length);
    expect(Math.min(...counts)).toBeGreaterThan(100);
    expect(Math.max(...counts)).toBeLessThan(220);
  });
});
