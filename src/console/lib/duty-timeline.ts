/** The camera page's state history as bands on a time axis. Pure. */
export interface Interval {
  from: string;
  to: string | null;
  state: string;
  reason: string | null;
}

export interface Band {
  state: string;
  reason: string | null;
  from: string;
  to: string | null;
  /** left edge and width, in percent of the axis */
  x: number;
  w: number;
}

/** Bands for the intervals over [earliest from, now]; an open interval runs to now. Oldest first. */
export function bands(history: readonly Interval[], now: Date): { start: Date; end: Date; bands: Band[] } {
  const end = now;
  const froms = history.map((h) => new Date(h.from).getTime()).filter((n) => !Number.isNaN(n));
  const start = new Date(froms.length ? Math.min(...froms) : end.getTime() - 3_600_000);
  const span = Math.max(1, end.getTime() - start.getTime());
  const out = history
    .map((h) => {
      const a = new Date(h.from).getTime();
      const b = h.to ? new Date(h.to).getTime() : end.getTime();
      return {
        state: h.state,
        reason: h.reason,
        from: h.from,
        to: h.to,
        x: ((a - start.getTime()) / span) * 100,
        w: (Math.max(0, Math.min(b, end.getTime()) - a) / span) * 100,
      };
    })
    .sort((p, q) => p.x - q.x);
  return { start, end, bands: out };
}

export const STATE_COLOURS: Record<string, string> = {
  online: '#67c23a',
  degraded: '#e6a23c',
  offline: '#f56c6c',
  maintenance: '#909399',
  unknown: '#c0c4cc',
};
