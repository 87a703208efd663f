import { readFileSync } from 'node:fs';
import { processTree } from './proc.js';
import { type BenchViewer, descendants, fdCount, ownCpuSeconds, percentile, round } from './relay-viewer.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Measured {
  /** the process itself, and its descendants (ffmpeg and their watchdogs), in cores over the window */
  nodeCores: number;
  childCores: number;
  nodeRssMb: number;
  /** the slowest viewer's receive rate over the window */
  minViewerMbps: number;
  latenciesMs: number[];
  /** descendants that ended during the window (should be 0: nothing stops while viewers watch) */
  vanished: number;
}

type Counted = { bytes: number; measuring?: boolean; latenciesMs?: number[] };

function rssMb(pid: number): number {
  try {
    return Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024);
  } catch {
    return -1;
  }
}

function cpuByPid(root: number): Map<number, number> {
  return new Map(processTree(root).map((pid) => [pid, ownCpuSeconds(pid)]));
}

/**
 * CPU of a process and of its descendants, and what its viewers received, over `seconds`. A descendant that
 * ends within the window is left out (its last ticks are lost), and counted in `vanished`.
 */
export async function measureWindow(pid: number, viewers: Counted[], seconds: number): Promise<Measured> {
  for (const v of viewers) if ('measuring' in v) v.measuring = true;
  const [cpu0, bytes0, t0] = [cpuByPid(pid), viewers.map((v) => v.bytes), Date.now()];
  await sleep(seconds * 1000);
  const [cpu1, bytes1, t1] = [cpuByPid(pid), viewers.map((v) => v.bytes), Date.now()];
  for (const v of viewers) if ('measuring' in v) v.measuring = false;
  const wall = (t1 - t0) / 1000;
  const rates = bytes1.map((b, i) => ((b - (bytes0[i] ?? 0)) * 8) / wall / 1e6);
  let children = 0;
  for (const [child, cpu] of cpu1) if (child !== pid) children += cpu - (cpu0.get(child) ?? 0);
  return {
    nodeCores: ((cpu1.get(pid) ?? 0) - (cpu0.get(pid) ?? 0)) / wall,
    childCores: children / wall,
    nodeRssMb: rssMb(pid),
    minViewerMbps: rates.length > 0 ? round(Math.min(...rates), 2) : 0,
    latenciesMs: viewers.flatMap((v) => v.latenciesMs ?? []),
    vanished: [...cpu0.keys()].filter((child) => !cpu1.has(child)).length,
  };
}

function snapshot(pid: number) {
  const procs = descendants(pid);
  return {
    processes: procs.length,
    names: [...new Set(procs.map((p) => p.name))].join(','),
    zombies: procs.filter((p) => p.state === 'Z').length,
    fds: fdCount(pid),
    rssMb: rssMb(pid),
  };
}

/** Waits until the process has no ffmpeg left (the relay stops an upstream when its last viewer leaves). */
async function settle(pid: number): Promise<void> {
  for (let i = 0; i < 100 && descendants(pid).some((p) => p.name === 'ffmpeg'); i++) await sleep(200);
  await sleep(1000);
}

/**
 * `total` open/close cycles over the cameras, one lane per camera (at most 10 at a time): every other viewer
 * closes as soon as its socket opens (before the first frame, usually while ffmpeg is starting), the others
 * after their first keyframe. Processes, descriptors and memory of the API are taken before and after.
 */
export async function cycles(
  pid: number,
  cameras: string[],
  total: number,
  open: (id: string) => BenchViewer,
) {
  await settle(pid);
  const before = snapshot(pid);
  const lanes = cameras.slice(0, 10);
  const perLane = Math.ceil(total / lanes.length);
  let early = 0;
  let failed = 0;
  const started = Date.now();
  await Promise.all(
    lanes.map(async (camera) => {
      for (let k = 0; k < perLane; k++) {
        const v = open(camera);
        if (k % 2 === 0) {
          await new Promise<void>((resolve) => {
            v.ws.once('open', () => resolve());
            v.ws.once('close', () => resolve());
          });
          early++;
        } else {
          const timeout = sleep(15_000).then(() => Promise.reject(new Error('no frame in 15 s')));
          await Promise.race([v.firstFrame, timeout]).catch(() => failed++);
        }
        await v.close();
      }
    }),
  );
  const wallS = (Date.now() - started) / 1000;
  await settle(pid);
  const after = snapshot(pid);
  return {
    cycles: perLane * lanes.length,
    cycles_closed_before_first_frame: early,
    cycles_without_frame: failed,
    cycles_wall_s: round(wallS, 1),
    processes_before: before.processes,
    processes_after: after.processes,
    processes_after_names: after.names,
    zombies_after: after.zombies,
    fds_before: before.fds,
    fds_after: after.fds,
    rss_mb_before: before.rssMb,
    rss_mb_after: after.rssMb,
  };
}

/** Time to first frame: a cold start, 20 cold starts at once, and viewers joining a live camera. */
export function ttffFigures(coldMs: number, coldAtOnce: number[], joinMs: number[], gopMs: number) {
  return {
    ttff_target_ms: 1000 + gopMs,
    ttff_cold_ms: Math.round(coldMs),
    ttff_cold_20_at_once_p50_ms: Math.round(percentile(coldAtOnce, 50)),
    ttff_cold_20_at_once_max_ms: Math.round(Math.max(...coldAtOnce)),
    ttff_join_p50_ms: Math.round(percentile(joinMs, 50)),
    ttff_join_max_ms: Math.round(Math.max(...joinMs)),
  };
}

/** Source send → viewer arrival of the stamped frames (relay-source.ts) of one phase's window. */
export function latencyFigures(phase: string, samples: number[]) {
  return {
    [`latency_${phase}_ms_p50`]: round(percentile(samples, 50), 1),
    [`latency_${phase}_ms_p90`]: round(percentile(samples, 90), 1),
    [`latency_${phase}_ms_p99`]: round(percentile(samples, 99), 1),
    [`latency_${phase}_ms_max`]: round(Math.max(...samples), 1),
    [`latency_${phase}_samples`]: samples.length,
  };
}
