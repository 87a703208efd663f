import { counted, effective, type HealthState, online } from './types.js';

/** Cameras of one state and reason, counted: what a GROUP BY over camera_health returns. */
export interface StateCount {
  state: HealthState;
  reason: string | null;
  n: number;
}

export interface LiveShares {
  /** Share of the counted cameras that are online now; null when none is counted. */
  online: number | null;
  /** Share of the counted cameras that are effective now (the 95% rule's measure); null when none is counted. */
  effective: number | null;
}

/** Right-now shares of a set of cameras; 'unknown' and 'maintenance' count in neither part. */
export function liveShares(counts: readonly StateCount[]): LiveShares {
  let scheduled = 0;
  let up = 0;
  let good = 0;
  for (const c of counts) {
    if (!counted(c.state)) continue;
    scheduled += c.n;
    if (online(c.state, c.reason)) up += c.n;
    if (effective(c.state, c.reason)) good += c.n;
  }
  return scheduled === 0
    ? { online: null, effective: null }
    : { online: up / scheduled, effective: good / scheduled };
}

/** Counts grouped by a key (a town's code, a police district's), each group's shares. */
export function sharesBy<K extends string>(
  rows: readonly (StateCount & Record<K, string>)[],
  key: K,
): Map<string, LiveShares> {
  const groups = new Map<string, StateCount[]>();
  for (const r of rows) {
    const list = groups.get(r[key]) ?? [];
    list.push(r);
    groups.set(r[key], list);
  }
  return new Map([...groups].map(([k, counts]) => [k, liveShares(counts)]));
}
