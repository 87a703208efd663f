import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type DbClient, withTransaction } from '../db.js';
import { type Applied, applyResults } from '../health/ledger-repo.js';
import {
  type ComplianceFault,
  DEFAULT_HEALTH_PARAMS,
  type HandshakeOutcome,
  type PictureFault,
  type SlotResult,
} from '../health/types.js';
import { checkPicture } from '../media/picture-check.js';
import { AuthMemory } from '../rtsp/auth-memory.js';
import { probeHandshake, probeStream, tcpConnect } from '../rtsp/probe.js';
import type { WorkerContext } from '../worker-context.js';
import { isNight } from './daylight.js';
import { underLease } from './probe-leases.js';
import { type RelayStatsReader, streamFromRelay } from './relay-stats.js';
import { layersDue, offsetInSlot, slotStart } from './slots.js';
import { loadTargets, type ProbeTarget } from './targets.js';

const FLUSH_EVERY_MS = 1000;
const FLUSH_BATCH = 200;
/** The challenges of this process's cameras, so a probe is not refused once before it is let in. */
const authMemory = new AuthMemory();

/** A worker's context, plus (in probe workers) the figures of live relays in Redis. */
export type ProbeContext = WorkerContext & { relayStats?: RelayStatsReader };

export interface ProbeOutcome {
  cameraId: string;
  probedAt: Date;
  handshake: HandshakeOutcome;
  status: number | null;
  connectMs: number | null;
  rtspMs: number | null;
  stream: Record<string, unknown> | null;
  /** the ONVIF port, checked with the stream layer: a camera can stream while its management side is down */
  onvifPort: { outcome: 'ok' | 'refused' | 'timeout' | 'unreachable'; ms: number | null } | null;
  /** the picture layer when it ran and judged: its fault (null: a normal picture) and figures */
  picture: { fault: PictureFault | null; dark: boolean; infrared: boolean; night: boolean } | null;
  error: string | null;
}

/**
 * One camera, the layers due: always the handshake (network + signalling), the stream layer on its cadence
 * (or every time while the camera is failing), the picture layer on its cadence when the stream is fine and a
 * decoder is free on this machine.
 */
export async function probeCamera(
  ctx: ProbeContext,
  target: ProbeTarget,
  layers: { stream: boolean; picture: boolean },
): Promise<ProbeOutcome> {
  const outcome = await probeTransport(ctx, target, layers.stream);
  if (layers.picture && outcome.handshake === 'ok') {
    outcome.picture = await probePicture(ctx, target);
    // the verdict is as of now: later slots' results may already be stored, and the ledger ignores the past
    if (outcome.picture) outcome.probedAt = new Date();
  }
  return outcome;
}

async function probeTransport(
  ctx: ProbeContext,
  target: ProbeTarget,
  withStream: boolean,
): Promise<ProbeOutcome> {
  const timeoutMs = ctx.config.probe.timeoutMs;
  const creds = { username: target.username, password: target.password, authMemory };
  const probedAt = new Date();
  const m = ctx.probeMetrics;
  const relayed = withStream && ctx.relayStats ? await probeFromRelay(ctx, target, probedAt) : null;
  if (relayed) return relayed;
  if (withStream) {
    const [s, onvifPort] = await Promise.all([
      probeStream({ url: target.url, ...creds, windowMs: ctx.config.probe.streamWindowMs, timeoutMs }),
      target.onvif ? checkOnvifPort(ctx, target.onvif, timeoutMs) : null,
    ]);
    m?.probes.inc({ layer: 'stream', outcome: s.outcome });
    m?.duration.observe({ layer: 'stream' }, (Date.now() - probedAt.getTime()) / 1000);
    const failed = s.outcome === 'no_frames' || s.outcome === 'stalled' || s.outcome === 'ended';
    return {
      cameraId: target.id,
      probedAt,
      handshake: failed ? 'stream' : (s.outcome as HandshakeOutcome),
      status: s.status ?? null,
      connectMs: s.connectMs ?? null,
      rtspMs: s.rtspMs ?? null,
      stream: {
        outcome: s.outcome,
        frames: s.frames,
        keyframes: s.keyframes,
        fps: s.fps,
        bitrateKbps: s.bitrateKbps,
        firstFrameMs: s.firstFrameMs,
      },
      onvifPort,
      picture: null,
      error: s.error ?? null,
    };
  }
  const h = await probeHandshake({ url: target.url, ...creds, timeoutMs });
  m?.probes.inc({ layer: 'handshake', outcome: h.outcome });
  m?.duration.observe({ layer: 'handshake' }, (Date.now() - probedAt.getTime()) / 1000);
  return {
    cameraId: target.id,
    probedAt,
    handshake: h.outcome,
    status: h.status ?? null,
    connectMs: h.connectMs ?? null,
    rtspMs: h.rtspMs ?? null,
    stream: null,
    onvifPort: null,
    picture: null,
    error: h.error ?? null,
  };
}

/**
 * The stream layer from a live relay's figures (another session on the camera is what it must not cost);
 * null when no relay is live or its figures are stale, and the camera is probed itself.
 */
async function probeFromRelay(
  ctx: ProbeContext,
  target: ProbeTarget,
  probedAt: Date,
): Promise<ProbeOutcome | null> {
  const stream = streamFromRelay((await ctx.relayStats?.(target.id).catch(() => null)) ?? null, Date.now());
  if (!stream) return null;
  const onvifPort = target.onvif ? await checkOnvifPort(ctx, target.onvif, ctx.config.probe.timeoutMs) : null;
  ctx.probeMetrics?.probes.inc({ layer: 'stream_relay', outcome: 'ok' });
  return {
    cameraId: target.id,
    probedAt,
    handshake: 'ok',
    status: null,
    connectMs: null,
    rtspMs: null,
    stream,
    onvifPort,
    picture: null,
    error: null,
  };
}

async function checkOnvifPort(
  ctx: WorkerContext,
  at: { host: string; port: number },
  timeoutMs: number,
): Promise<ProbeOutcome['onvifPort']> {
  const r = await tcpConnect(at.host, at.port, timeoutMs);
  const outcome = r.ok ? 'ok' : r.error;
  ctx.probeMetrics?.probes.inc({ layer: 'onvif_port', outcome });
  return { outcome, ms: r.ok ? r.ms : null };
}

const PICTURE_SECONDS = 4;

/** A camera's lease outlives the longest probe (all layers, their deadlines); a slot probe waits a little. */
function cameraTerms(ctx: WorkerContext) {
  const { timeoutMs, streamWindowMs } = ctx.config.probe;
  return { ttlMs: timeoutMs * 4 + streamWindowMs + PICTURE_SECONDS * 1000 + 5000, waitMs: timeoutMs * 2 };
}

/** Decodes a few seconds of the stream and judges the picture; keeps the last frame as the camera's snapshot. */
async function probePicture(ctx: WorkerContext, target: ProbeTarget): Promise<ProbeOutcome['picture']> {
  const picture = ctx.picture;
  if (!picture || !target.username) return null;
  const lease = await picture.decoders.tryAcquire().catch(() => null);
  if (!lease) return null;
  const snapshotPath = join(picture.snapshotDir, `${target.id}.jpg`);
  try {
    const night = target.lat !== null && target.lon !== null && isNight(new Date(), target.lat, target.lon);
    const result = await checkPicture({
      cameraUrl: target.pictureUrl,
      credentials: { username: target.username, password: target.password ?? '' },
      hop: picture.hop,
      seconds: PICTURE_SECONDS,
      deadlineMs: PICTURE_SECONDS * 1000 + ctx.config.probe.timeoutMs * 2,
      snapshotPath,
      context: { isNight: night },
      tag: `xueliang-picture-${target.id}`,
    });
    ctx.probeMetrics?.probes.inc({ layer: 'picture', outcome: result.verdict?.fault ?? result.outcome });
    if (result.outcome !== 'ok' || !result.verdict) return null;
    if (result.snapshotPath) {
      const jpeg = await readFile(result.snapshotPath).catch(() => null);
      if (jpeg) {
        await ctx.db.query(
          `INSERT INTO camera_snapshots (camera_id, taken_at, jpeg) VALUES ($1, now(), $2)
           ON CONFLICT (camera_id) DO UPDATE SET taken_at = EXCLUDED.taken_at, jpeg = EXCLUDED.jpeg`,
          [target.id, jpeg],
        );
      }
      await rm(result.snapshotPath, { force: true });
    }
    return {
      fault: result.verdict.fault,
      dark: result.verdict.dark,
      infrared: result.verdict.infrared,
      night,
    };
  } finally {
    await picture.decoders.release(lease).catch(() => undefined);
  }
}

/** Stores probe outcomes once per key (camera, slot_at) and returns those this call stored. */
async function storeOutcomes(
  tx: DbClient,
  rows: readonly { outcome: ProbeOutcome; slotAt: Date; kind: 'slot' | 'reprobe' }[],
) {
  if (rows.length === 0) return new Set<string>();
  const { rows: inserted } = await tx.query<{ camera_id: string }>(
    `INSERT INTO probe_results (camera_id, slot_at, kind, probed_at, handshake, status, connect_ms, rtsp_ms, stream, error,
                                picture, onvif_port)
     SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::timestamptz[], $5::text[], $6::int[],
                          $7::real[], $8::real[], $9::jsonb[], $10::text[], $11::jsonb[], $12::jsonb[])
     ON CONFLICT DO NOTHING RETURNING camera_id`,
    [
      rows.map((r) => r.outcome.cameraId),
      rows.map((r) => r.slotAt),
      rows.map((r) => r.kind),
      rows.map((r) => r.outcome.probedAt),
      rows.map((r) => r.outcome.handshake),
      rows.map((r) => r.outcome.status),
      rows.map((r) => r.outcome.connectMs),
      rows.map((r) => r.outcome.rtspMs),
      rows.map((r) => (r.outcome.stream ? JSON.stringify(r.outcome.stream) : null)),
      rows.map((r) => r.outcome.error),
      rows.map((r) => (r.outcome.picture ? JSON.stringify(r.outcome.picture) : null)),
      rows.map((r) => (r.outcome.onvifPort ? JSON.stringify(r.outcome.onvifPort) : null)),
    ],
  );
  return new Set(inserted.map((r) => r.camera_id));
}

/** Cameras of the batch inside an approved maintenance window now (the camera itself or a node above it). */
async function inMaintenance(tx: DbClient, cameraIds: readonly string[], at: Date): Promise<Set<string>> {
  const { rows } = await tx.query<{ id: string }>(
    `SELECT c.id FROM cameras c JOIN districts site ON site.id = c.site_id
      WHERE c.id = ANY($1::uuid[]) AND EXISTS (
        SELECT 1 FROM availability_exclusions x
         WHERE x.kind = 'maintenance' AND x.status = 'approved' AND $2 >= x.from_at AND $2 < x.to_at
           AND (x.camera_id = c.id OR site.ancestors @> ARRAY[x.district_id]))`,
    [cameraIds, at],
  );
  return new Set(rows.map((r) => r.id));
}

/**
 * Stores outcomes (once per camera and slot) and moves the ledger, in one transaction: a failure stores
 * nothing, so a retried job probes those cameras again; a second worker's copy of a slot stores nothing.
 */
export async function recordOutcomes(
  ctx: WorkerContext,
  outcomes: readonly {
    outcome: ProbeOutcome;
    slotAt: Date;
    kind: 'slot' | 'reprobe';
    compliance?: ComplianceFault[];
  }[],
): Promise<Applied[]> {
  // one lock order for every transaction: by camera id
  const sorted = [...outcomes].sort((a, b) => (a.outcome.cameraId < b.outcome.cameraId ? -1 : 1));
  return withTransaction(ctx.db, async (tx) => {
    const stored = await storeOutcomes(tx, sorted);
    const fresh = sorted.filter((o) => stored.has(o.outcome.cameraId));
    if (fresh.length === 0) return [];
    const maintenance = await inMaintenance(
      tx,
      fresh.map((o) => o.outcome.cameraId),
      new Date(),
    );
    const results = fresh.map(({ outcome, compliance }) => ({
      cameraId: outcome.cameraId,
      result: {
        at: outcome.probedAt,
        handshake: outcome.handshake,
        // not checked this time: the last verdict stands
        picture: outcome.picture ? outcome.picture.fault : undefined,
        compliance,
        inMaintenance: maintenance.has(outcome.cameraId),
      } satisfies SlotResult,
    }));
    return applyResults(tx, results, {
      params: DEFAULT_HEALTH_PARAMS,
      gapAfterMs: ctx.config.probe.intervalMs * 4,
    });
  });
}

/**
 * Probes one shard's cameras for one slot: each at its stable offset in the slot (when the job runs on time),
 * at most `concurrency` at once, skipping cameras that already have this slot's result (a retried job, or a
 * second worker that picked the same shard). Returns the applied results.
 */
export async function probeShard(
  ctx: ProbeContext,
  shard: number,
  slot: number,
  /** called with each stored batch, so a failure's re-probe is asked for at once, not at the end of the slot */
  onApplied: (batch: Applied[]) => Promise<void> = async () => undefined,
): Promise<Applied[] | null> {
  // A shard's slot jobs one after another, across processes: a late job, or one delivered again after its
  // worker died, never probes the shard's cameras alongside the next. Busy: null at once, and the caller
  // tries again a little later (a wait here would hold one of the worker's job slots). The lease of a killed
  // worker frees itself as its BullMQ lock does.
  const { lockMs } = ctx.config.probe;
  const terms = { ttlMs: lockMs, waitMs: 0, renewEveryMs: Math.floor(lockMs / 3) };
  const key = ctx.leases?.shardKey(shard) ?? '';
  return underLease(ctx.leases, key, terms, () => probeShardSlot(ctx, shard, slot, onApplied));
}

async function probeShardSlot(
  ctx: ProbeContext,
  shard: number,
  slot: number,
  onApplied: (batch: Applied[]) => Promise<void>,
): Promise<Applied[]> {
  const { intervalMs, shards, concurrency } = ctx.config.probe;
  const slotAt = slotStart(slot, intervalMs);
  ctx.probeMetrics?.lag.set(Math.max(0, Date.now() - slotAt.getTime()) / 1000);
  const targets = await loadTargets(ctx, { shard, shards });
  const { rows: done } = await ctx.db.query<{ camera_id: string }>(
    'SELECT camera_id FROM probe_results WHERE slot_at = $1 AND camera_id = ANY($2::uuid[])',
    [slotAt, targets.map((t) => t.id)],
  );
  const skip = new Set(done.map((r) => r.camera_id));
  const todo = targets.filter((t) => !skip.has(t.id));
  // Results are written as they come, in small batches, so a camera going dark is known within a second or two
  // of its probe, not at the end of the shard's slot.
  let pending: { outcome: ProbeOutcome; slotAt: Date; kind: 'slot'; compliance?: ComplianceFault[] }[] = [];
  const applied: Applied[] = [];
  let flushing = Promise.resolve();
  let flushError: unknown = null;
  const flush = () => {
    const batch = pending;
    pending = [];
    flushing = flushing.then(async () => {
      if (batch.length === 0) return;
      try {
        const stored = await recordOutcomes(ctx, batch);
        applied.push(...stored);
        await onApplied(stored);
      } catch (err) {
        // nothing of that batch was stored: the job fails at the end and its retry probes those cameras again
        flushError ??= err;
      }
    });
    return flushing;
  };
  const timer = setInterval(() => void flush(), FLUSH_EVERY_MS);
  let next = 0;
  const worker = async () => {
    while (next < todo.length) {
      const target = todo[next++] as ProbeTarget;
      const startAt = slotAt.getTime() + offsetInSlot(target.id, intervalMs);
      const wait = startAt - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const due = layersDue(target.id, slot, {
        streamEvery: ctx.config.probe.streamEvery,
        pictureEvery: ctx.config.probe.pictureEvery,
      });
      const probe = () =>
        probeCamera(ctx, target, { stream: due.stream || target.suspect, picture: due.picture });
      // Only a failing camera can have a re-probe running (re-probes follow failures): its slot probe waits for
      // it, or leaves this slot unrecorded, rather than open a second session. A healthy camera needs no
      // lease of its own; the shard's keeps its slot probes apart.
      const outcome = target.suspect
        ? await underLease(ctx.leases, ctx.leases?.cameraKey(target.id) ?? '', cameraTerms(ctx), probe)
        : await probe();
      if (!outcome) continue;
      pending.push({ outcome, slotAt, kind: 'slot', compliance: target.compliance });
      if (pending.length >= FLUSH_BATCH) void flush();
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, todo.length)) }, worker));
  } finally {
    clearInterval(timer);
  }
  await flush();
  if (flushError) throw flushError;
  return applied;
}

/** A fast second look at one camera after a failed probe, recorded at its own time. */
export async function reprobeCamera(ctx: ProbeContext, cameraId: string): Promise<Applied[]> {
  const [target] = await loadTargets(ctx, { cameraId });
  if (!target) return [];
  // a probe of the camera already running is as good a second look as this one
  const outcome = await underLease(
    ctx.leases,
    ctx.leases?.cameraKey(target.id) ?? '',
    { ...cameraTerms(ctx), waitMs: 0 },
    () => probeCamera(ctx, target, { stream: target.suspect, picture: false }),
  );
  if (!outcome) return [];
  return recordOutcomes(ctx, [
    { outcome, slotAt: outcome.probedAt, kind: 'reprobe', compliance: target.compliance },
  ]);
}
