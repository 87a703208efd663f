import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The probe workers' series: probes by layer and outcome, their durations, how late the shard jobs run. */
export function createProbeMetrics(registry: Registry) {
  return {
    probes: new Counter({
      name: 'xueliang_probes_total',
      help: 'Probes by layer (handshake, stream, picture, onvif_port) and outcome',
      labelNames: ['layer', 'outcome'] as const,
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'xueliang_probe_duration_seconds',
      help: 'Duration of one probe by layer',
      labelNames: ['layer'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    lag: new Gauge({
      name: 'xueliang_probe_slot_lag_seconds',
      help: 'How late the last shard job started after its slot began',
      registers: [registry],
    }),
  };
}

export type ProbeMetrics = ReturnType<typeof createProbeMetrics>;
