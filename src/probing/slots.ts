/**
 * Probe slots, shards and jitter. Pure. A slot is one probe interval of wall-clock time; its index is the same
 * for every worker, so "one result per camera per slot" can be enforced by key. Cameras are spread over shards
 * (one job per shard per slot, the split made in SQL) and, inside a slot, over time by a stable offset, so thousands of cameras never
 * hit the network in the same second.
 */

export function slotIndex(at: Date, intervalMs: number): number {
  return Math.floor(at.getTime() / intervalMs);
}

export function slotStart(index: number, intervalMs: number): Date {
  return new Date(index * intervalMs);
}

/** FNV-1a over the id: stable across processes and restarts. */
export function stableHash(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * The shard of a camera, as SQL over its id column: Postgres' hashtext, so every worker selects its shard's
 * cameras in the query itself, with nothing stored. Shifted into 0..2^32-1 rather than abs(): abs() of the
 * smallest integer is out of range and would fail that camera's shard for ever.
 */
export function shardOfSql(idColumn: string, shardsParam: string): string {
  return `mod(hashtext(${idColumn}::text)::bigint + 2147483648, ${shardsParam})`;
}

/** Where in its slot a camera is probed: a stable offset within the first `spread` of the slot. */
export function offsetInSlot(cameraId: string, intervalMs: number, spread = 0.8): number {
  return stableHash(`${cameraId}:offset`) % Math.max(1, Math.floor(intervalMs * spread));
}

export interface LayerCadence {
  /** the stream layer (frames arrive) runs every Nth slot of a camera (XUELIANG_PROBE_STREAM_EVERY) */
  streamEvery: number;
  /** the picture layer (decode and diagnose) runs every Nth slot of a camera (XUELIANG_PROBE_PICTURE_EVERY) */
  pictureEvery: number;
}

/** Which layers run for a camera in a slot. The heavier layers are staggered by camera, not all at once. */
export function layersDue(
  cameraId: string,
  index: number,
  cadence: LayerCadence,
): { stream: boolean; picture: boolean } {
  const phase = stableHash(`${cameraId}:phase`);
  return {
    stream: (index + phase) % cadence.streamEvery === 0,
    picture: (index + phase) % cadence.pictureEvery === 0,
  };
}
