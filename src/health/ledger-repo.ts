import type { DbClient, Queryable } from '../db.js';
import { invalidateDays } from './rollup-repo.js';
import { transition } from './transition.js';
import {
  type CameraHealth,
  type HealthParams,
  initialHealth,
  type SlotResult,
  type StateChange,
} from './types.js';

interface HealthRow {
  camera_id: string;
  state: CameraHealth['state'];
  reason: string | null;
  since: Date;
  flapping: boolean;
  memory: {
    consecutiveFailures: number;
    consecutiveSuccesses: number;
    lastPicture: CameraHealth['lastPicture'];
    lastCompliance: CameraHealth['lastCompliance'];
    stateChanges: string[];
  };
  last_result_at: Date | null;
}

function toHealth(r: HealthRow): CameraHealth {
  return {
    state: r.state,
    reason: r.reason,
    since: r.since,
    flapping: r.flapping,
    consecutiveFailures: r.memory.consecutiveFailures,
    consecutiveSuccesses: r.memory.consecutiveSuccesses,
    lastPicture: r.memory.lastPicture,
    lastCompliance: r.memory.lastCompliance,
    stateChanges: r.memory.stateChanges.map((s) => new Date(s)),
    lastResultAt: r.last_result_at,
  };
}

/** The stored health of cameras, locked for the rest of the transaction (in id order: no deadlocks). */
async function lockHealth(tx: DbClient, cameraIds: readonly string[]): Promise<Map<string, CameraHealth>> {
  const { rows } = await tx.query<HealthRow>(
    'SELECT * FROM camera_health WHERE camera_id = ANY($1::uuid[]) ORDER BY camera_id FOR UPDATE',
    [cameraIds],
  );
  return new Map(rows.map((r) => [r.camera_id, toHealth(r)]));
}

export async function readHealth(db: Queryable, cameraId: string): Promise<CameraHealth | null> {
  const { rows } = await db.query<HealthRow>('SELECT * FROM camera_health WHERE camera_id = $1', [cameraId]);
  return rows[0] ? toHealth(rows[0]) : null;
}

/** Stores the new health of a batch of cameras in one statement. */
async function saveHealths(tx: DbClient, healths: ReadonlyMap<string, CameraHealth>): Promise<void> {
  if (healths.size === 0) return;
  const ids: string[] = [];
  const states: string[] = [];
  const reasons: (string | null)[] = [];
  const sinces: Date[] = [];
  const flapping: boolean[] = [];
  const memories: string[] = [];
  const lastResults: (Date | null)[] = [];
  for (const [cameraId, h] of healths) {
    ids.push(cameraId);
    states.push(h.state);
    reasons.push(h.reason);
    sinces.push(h.since);
    flapping.push(h.flapping);
    memories.push(
      JSON.stringify({
        consecutiveFailures: h.consecutiveFailures,
        consecutiveSuccesses: h.consecutiveSuccesses,
        lastPicture: h.lastPicture,
        lastCompliance: h.lastCompliance,
        stateChanges: h.stateChanges.map((d) => d.toISOString()),
      }),
    );
    lastResults.push(h.lastResultAt);
  }
  await tx.query(
    `INSERT INTO camera_health (camera_id, state, reason, since, flapping, memory, last_result_at, updated_at)
     SELECT *, now() FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::boolean[], $6::jsonb[],
                                 $7::timestamptz[])
     ON CONFLICT (camera_id) DO UPDATE SET state = EXCLUDED.state, reason = EXCLUDED.reason, since = EXCLUDED.since,
       flapping = EXCLUDED.flapping, memory = EXCLUDED.memory, last_result_at = EXCLUDED.last_result_at,
       updated_at = now()`,
    [ids, states, reasons, sinces, flapping, memories, lastResults],
  );
}

/** Closes the camera's open interval at `at` and opens the next one. */
async function moveInterval(tx: DbClient, cameraId: string, at: Date, state: string, reason: string | null) {
  await tx.query(
    'UPDATE state_intervals SET to_at = greatest(from_at, $2) WHERE camera_id = $1 AND to_at IS NULL',
    [cameraId, at],
  );
  await tx.query('INSERT INTO state_intervals (camera_id, from_at, state, reason) VALUES ($1, $2, $3, $4)', [
    cameraId,
    at,
    state,
    reason,
  ]);
}

/**
 * Held (shared) by every transaction that writes health events, from the first insert to its commit. The
 * alerting stage takes it exclusively for a moment to read the highest id: no writer is then in flight, so no
 * lower id can still commit after the stage has read past it.
 */
export const HEALTH_EVENTS_WRITE_LOCK = 0x78_6c_68_65; // 'xlhe'

async function recordEvent(tx: DbClient, cameraId: string, change: StateChange): Promise<number> {
  await tx.query('SELECT pg_advisory_xact_lock_shared($1)', [HEALTH_EVENTS_WRITE_LOCK]);
  const { rows } = await tx.query<{ id: number }>(
    `INSERT INTO health_events (camera_id, at, from_state, to_state, from_reason, to_reason, flapping)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
    [cameraId, change.at, change.from, change.to, change.fromReason, change.toReason, change.flapping],
  );
  return (rows[0] as { id: number }).id;
}

export interface LedgerOptions {
  params: HealthParams;
  /** silence longer than this between two results of a camera is a monitoring gap, blamed on nobody */
  gapAfterMs: number;
}

export interface Applied {
  cameraId: string;
  health: CameraHealth;
  change: StateChange | null;
  eventId: number | null;
  reprobeSoon: boolean;
}

/**
 * Applies results to the ledger inside the caller's transaction: the pure transition decides, this stores —
 * the camera's health, its state intervals (a silence of our own making becomes an 'unknown' interval) and a
 * durable event per change. Results must already be deduplicated per slot (the probe_results key does that).
 */
export async function applyResults(
  tx: DbClient,
  results: readonly { cameraId: string; result: SlotResult }[],
  opts: LedgerOptions,
): Promise<Applied[]> {
  const healths = await lockHealth(
    tx,
    results.map((r) => r.cameraId),
  );
  const applied: Applied[] = [];
  for (const { cameraId, result } of results) {
    const prev = healths.get(cameraId) ?? initialHealth(result.at);
    const silentSince = prev.lastResultAt;
    const afterGap =
      silentSince !== null &&
      result.at.getTime() - silentSince.getTime() > opts.gapAfterMs &&
      prev.state !== 'unknown';
    if (afterGap && silentSince) {
      // our probes were not running: the camera's state over that time is unknown, and blamed on nobody
      const gapFrom = new Date(silentSince.getTime() + opts.gapAfterMs);
      await moveInterval(tx, cameraId, gapFrom, 'unknown', 'monitoring_gap');
      // days already rolled up counted the camera's last state through the silence: they are redone
      await invalidateDays(tx, cameraId, gapFrom, result.at);
    }
    const { next, change, reprobeSoon } = transition(prev, result, opts.params);
    let eventId: number | null = null;
    if (change) {
      await moveInterval(tx, cameraId, change.at, change.to, change.toReason);
      eventId = await recordEvent(tx, cameraId, change);
    } else if (afterGap) {
      // back after the gap in the same state: that state's time starts again now
      await moveInterval(tx, cameraId, result.at, next.state, next.reason);
    }
    healths.set(cameraId, next);
    applied.push({ cameraId, health: next, change, eventId, reprobeSoon });
  }
  // every camera of the batch, and only those: lockHealth read only theirs
  await saveHealths(tx, healths);
  return applied;
}
