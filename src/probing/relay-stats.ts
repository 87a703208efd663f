import type { Redis } from 'ioredis';

/**
 * While a camera is watched live, the API instance that pulls its stream publishes what it sees every couple
 * of seconds; the stream layer of the probe reads that instead of opening a second session on the camera
 * (many cameras allow only a few). Written by src/relay (cluster-stats), read here; plain JSON in Redis.
 */
export interface RelayStreamStats {
  /** video frames, keyframes and MPEG-TS bytes seen during the window */
  frames: number;
  keyframes: number;
  bytes: number;
  windowMs: number;
  /** when the window ended (ms since the epoch) */
  at: number;
  /** the API instance that pulls the stream */
  instanceId: string;
}

/** Figures older than this are not trusted (the publisher writes every ~2 s). */
export const RELAY_STATS_MAX_AGE_MS = 5000;

export function relayStatsKey(prefix: string, cameraId: string): string {
  return `${prefix}relay:stats:${cameraId}`;
}

export type RelayStatsReader = (cameraId: string) => Promise<RelayStreamStats | null>;

/** Reads from a connection without a key prefix (the worker's lease connection); null on any failure. */
export function relayStatsReader(redis: Redis, prefix: string): RelayStatsReader {
  return async (cameraId) => {
    const raw = await redis.get(relayStatsKey(prefix, cameraId)).catch(() => null);
    return raw === null ? null : parseRelayStats(raw);
  };
}

export function parseRelayStats(raw: string): RelayStreamStats | null {
  try {
    const v = JSON.parse(raw) as Record<string, unknown>;
    const numbers = ['frames', 'keyframes', 'bytes', 'windowMs', 'at'] as const;
    if (!numbers.every((k) => typeof v[k] === 'number' && Number.isFinite(v[k]))) return null;
    if (typeof v.instanceId !== 'string') return null;
    return v as unknown as RelayStreamStats;
  } catch {
    return null;
  }
}

/** What the stream layer records from live relay figures: null when they are stale or show no frames. */
export function streamFromRelay(stats: RelayStreamStats | null, now: number) {
  if (!stats || now - stats.at > RELAY_STATS_MAX_AGE_MS || stats.at - now > RELAY_STATS_MAX_AGE_MS)
    return null;
  if (stats.frames <= 0 || stats.windowMs <= 0) return null;
  const seconds = stats.windowMs / 1000;
  return {
    outcome: 'ok' as const,
    frames: stats.frames,
    keyframes: stats.keyframes,
    fps: Math.round((stats.frames / seconds) * 100) / 100,
    bitrateKbps: Math.round((stats.bytes * 8) / stats.windowMs),
    firstFrameMs: null,
    source: 'relay' as const,
    relayInstance: stats.instanceId,
    ageMs: Math.max(0, now - stats.at),
  };
}
