import { Counter, Gauge, type Registry } from 'prom-client';

/**
 * The relay's series: no per-camera labels (cardinality), kinds only. Every known label value starts at zero,
 * so a rate or a sum has a series to read before the first upstream or refusal happens.
 */
export function createRelayMetrics(registry: Registry) {
  const registers = [registry];
  const metrics = {
    upstreams: new Gauge({
      name: 'xueliang_relay_upstreams',
      help: 'Upstreams open on this instance, by kind (copy, transcode, remote)',
      labelNames: ['kind'] as const,
      registers,
    }),
    viewers: new Gauge({
      name: 'xueliang_relay_viewers',
      help: 'Viewers attached to this instance',
      registers,
    }),
    bytesOut: new Counter({
      name: 'xueliang_relay_bytes_out_total',
      help: 'MPEG-TS bytes written to viewers',
      registers,
    }),
    restarts: new Counter({
      name: 'xueliang_relay_restarts_total',
      help: 'Upstream restarts after a stall or an exit',
      registers,
    }),
    transcodes: new Counter({
      name: 'xueliang_relay_transcodes_total',
      help: 'H.265 to H.264 transcodes started',
      registers,
    }),
    refusals: new Counter({
      name: 'xueliang_relay_refusals_total',
      help: 'Upstreams refused, by status (snapshots_only: no transcode slot; failed: caps, codec, credentials)',
      labelNames: ['status'] as const,
      registers,
    }),
    viewerSkips: new Counter({
      name: 'xueliang_relay_viewer_skips_total',
      help: 'Times a slow viewer fell behind and was skipped ahead to a later keyframe',
      registers,
    }),
    viewerDrops: new Counter({
      name: 'xueliang_relay_viewer_drops_total',
      help: 'Viewers closed for staying behind',
      registers,
    }),
  };
  for (const kind of ['copy', 'transcode', 'remote']) metrics.upstreams.set({ kind }, 0);
  for (const status of ['snapshots_only', 'failed']) metrics.refusals.inc({ status }, 0);
  return metrics;
}

export type RelayMetrics = ReturnType<typeof createRelayMetrics>;
