/**
 * The alert feed: the one ordered record of what happened to alerts and tickets that consoles and notifications
 * follow. Every writer appends inside its own transaction after taking one advisory lock, so feed ids become
 * visible in id order: a reader that has seen id N has seen every id below it, and a console that resumes from
 * its last id misses nothing. After commit the writer nudges other processes through Redis; the nudge only says
 * "read the feed", so a lost nudge delays, never loses, an entry.
 */
import type { Redis } from 'ioredis';
import type { Principal } from '../auth/policy.js';
import type { Config } from '../config.js';
import type { DbClient, Queryable } from '../db.js';
import type { Severity } from './rules.js';

/** Taken (per transaction) by every writer of alert_feed. */
const FEED_WRITE_LOCK = 0x78_6c_66_64; // 'xlfd'

export type FeedKind =
  | 'opened'
  | 'grouped'
  | 'superseded'
  | 'acknowledged'
  | 'resolved'
  | 'ticket_opened'
  | 'ticket_escalated';

export interface FeedAppend {
  alertId: number | null;
  ticketId?: number | null;
  kind: FeedKind;
  at: Date;
  actor?: string | null;
  /** the place of the alert or ticket: a district, village or site id (its path is stored with the entry) */
  placeId: string;
  severity: Severity;
  payload: Record<string, unknown>;
  /**
   * More nodes whose desks see the entry besides those above its place: for a group alert, the nodes down to
   * the sites of its cameras, so a police district's desk sees a town-wide group that holds its cameras
   */
  alsoVisibleUnder?: readonly string[];
}

export interface FeedEntry {
  id: number;
  alertId: number | null;
  ticketId: number | null;
  kind: FeedKind;
  at: Date;
  actor: string | null;
  ancestors: string[];
  severity: Severity;
  payload: Record<string, unknown>;
}

/** Appends entries in the given order; call inside the write's transaction. Returns their ids. */
export async function appendFeed(tx: DbClient, entries: readonly FeedAppend[]): Promise<number[]> {
  if (entries.length === 0) return [];
  await tx.query('SELECT pg_advisory_xact_lock($1)', [FEED_WRITE_LOCK]);
  const { rows } = await tx.query<{ id: string }>(
    `INSERT INTO alert_feed (alert_id, ticket_id, kind, at, actor, ancestors, severity, payload)
     SELECT e.alert_id, e.ticket_id, e.kind, e.at, e.actor,
            d.ancestors || ARRAY(SELECT jsonb_array_elements_text(e.also)::uuid EXCEPT SELECT unnest(d.ancestors)),
            e.severity, e.payload
       FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::timestamptz[], $5::uuid[], $6::uuid[], $7::text[],
                   $8::jsonb[], $9::jsonb[])
              WITH ORDINALITY AS e(alert_id, ticket_id, kind, at, actor, place_id, severity, payload, also, n)
       JOIN districts d ON d.id = e.place_id
      ORDER BY e.n
     RETURNING id`,
    [
      entries.map((e) => e.alertId),
      entries.map((e) => e.ticketId ?? null),
      entries.map((e) => e.kind),
      entries.map((e) => e.at),
      entries.map((e) => e.actor ?? null),
      entries.map((e) => e.placeId),
      entries.map((e) => e.severity),
      entries.map((e) => JSON.stringify(e.payload)),
      entries.map((e) => JSON.stringify(e.alsoVisibleUnder ?? [])),
    ],
  );
  return rows.map((r) => Number(r.id)).sort((a, b) => a - b);
}

interface FeedRow {
  id: string;
  alert_id: string | null;
  ticket_id: string | null;
  kind: FeedKind;
  at: Date;
  actor: string | null;
  ancestors: string[];
  severity: Severity;
  payload: Record<string, unknown>;
}

function toEntry(r: FeedRow): FeedEntry {
  return {
    id: Number(r.id),
    alertId: r.alert_id === null ? null : Number(r.alert_id),
    ticketId: r.ticket_id === null ? null : Number(r.ticket_id),
    kind: r.kind,
    at: r.at,
    actor: r.actor,
    ancestors: r.ancestors,
    severity: r.severity,
    payload: r.payload,
  };
}

/** Entries after `afterId`, oldest first, at most `limit`. */
export async function readFeed(q: Queryable, afterId: number, limit: number): Promise<FeedEntry[]> {
  const { rows } = await q.query<FeedRow>(
    `SELECT id, alert_id, ticket_id, kind, at, actor, ancestors, severity, payload
       FROM alert_feed WHERE id > $1 ORDER BY id LIMIT $2`,
    [afterId, limit],
  );
  return rows.map(toEntry);
}

export async function lastFeedId(q: Queryable): Promise<number> {
  const { rows } = await q.query<{ id: string | null }>('SELECT max(id) AS id FROM alert_feed');
  return Number(rows[0]?.id ?? 0);
}

/**
 * Whether a console user may see a feed entry: bureau and admin see the county, a duty user the entries under
 * its node of the tree; contractors follow their tickets elsewhere, not the alert feed.
 */
export function feedVisibleTo(
  principal: Pick<Principal, 'role' | 'scopeDistrictId'>,
  entry: FeedEntry,
): boolean {
  switch (principal.role) {
    case 'admin':
    case 'bureau':
      return true;
    case 'duty':
      return principal.scopeDistrictId !== null && entry.ancestors.includes(principal.scopeDistrictId);
    case 'contractor':
      return false;
  }
}

/** The Redis channel that says "the feed has grown" (pub/sub channels take no key prefix, so it is added here). */
export function feedChannel(config: Pick<Config, 'redisPrefix'>): string {
  return `${config.redisPrefix}alert-feed`;
}

/** Tells every API instance and the notifier to read the feed; call after the appending transaction commits. */
export async function nudgeFeed(
  redis: Redis,
  config: Pick<Config, 'redisPrefix'>,
  lastId: number,
): Promise<void> {
  await redis.publish(feedChannel(config), String(lastId));
}
