import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { processTree } from './proc.js';
import { hasIdr, readStamps } from './relay-ts.js';

const nowMicros = () => (performance.timeOrigin + performance.now()) * 1000;

/**
 * One viewer of the relay bench: a plain `ws` client counting bytes, timing its first IDR frame from the moment
 * it started connecting, and (when asked) reading the source's send-time stamps while `measuring` is set.
 */
export class BenchViewer {
  readonly ws: WebSocket;
  readonly started = performance.now();
  bytes = 0;
  firstFrameMs: number | null = null;
  readonly latenciesMs: number[] = [];
  readonly statuses: string[] = [];
  measuring = false;
  closed: { code: number; reason: string } | null = null;
  readonly firstFrame: Promise<number>;
  readonly ended: Promise<void>;

  constructor(url: string, headers: Record<string, string>, stamps = false) {
    this.ws = new WebSocket(url, { headers, perMessageDeflate: false });
    let frame: (ms: number) => void = () => {};
    let fail: (e: Error) => void = () => {};
    this.firstFrame = new Promise<number>((resolve, reject) => {
      frame = resolve;
      fail = reject;
    });
    this.firstFrame.catch(() => {});
    this.ended = new Promise((resolve) => this.ws.once('close', () => resolve()));
    this.ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) {
        this.statuses.push(String((JSON.parse(data.toString()) as { status?: string }).status));
        return;
      }
      this.bytes += data.length;
      if (this.firstFrameMs === null && hasIdr(data)) {
        this.firstFrameMs = performance.now() - this.started;
        frame(this.firstFrameMs);
      }
      if (stamps && this.measuring) {
        const now = nowMicros();
        for (const sent of readStamps(data)) this.latenciesMs.push((now - sent) / 1000);
      }
    });
    this.ws.on('error', () => {});
    this.ws.once('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      fail(new Error(`viewer closed before a frame: ${code} ${reason.toString()}`));
    });
  }

  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    this.ws.close(1000, 'bench done');
    return this.ended;
  }
}

/** CPU seconds of one process (not its children). */
export function ownCpuSeconds(pid: number): number {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** Descendants of a process (not itself), with their command names and states. */
export function descendants(pid: number): { pid: number; name: string; state: string }[] {
  return processTree(pid)
    .slice(1)
    .map((child) => {
      try {
        const status = readFileSync(`/proc/${child}/status`, 'utf8');
        const name = /^Name:\s+(\S+)/m.exec(status)?.[1] ?? '?';
        return { pid: child, name, state: /^State:\s+(\S)/m.exec(status)?.[1] ?? '?' };
      } catch {
        return { pid: child, name: '?', state: 'gone' };
      }
    })
    .filter((p) => p.state !== 'gone');
}

export function fdCount(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return -1;
  }
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN;
}

export const round = (n: number, digits = 3) => Number(n.toFixed(digits));
