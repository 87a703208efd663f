import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ClipKind } from './fault-view.js';

/**
 * Node-side supervisor of sim/rtsp/gst-server.py, the GStreamer RTSP server for cameras that need a real
 * live encoder. The child gets its configuration as the first stdin line and exits when stdin closes (and
 * by PR_SET_PDEATHSIG), so it never outlives this process; a child that dies is restarted on the same port
 * with a bounded backoff; close() ends it with SIGTERM, then SIGKILL after 2 s.
 */

export interface GstMount {
  /** e.g. '/cam/<id>/main'; no whitespace. */
  path: string;
  pattern: ClipKind;
  width: number;
  height: number;
  fps: number;
  /** Basic auth for this mount; without it the mount is open. */
  auth?: { user: string; password: string };
}

export interface GstRtspServerOptions {
  /** A loopback address. */
  host: string;
  /** 0 picks a free port (kept across restarts). */
  port: number;
  mounts: GstMount[];
  /** Needs python3-gi; the pyenv python on PATH lacks it. */
  python?: string;
  readyTimeoutMs?: number;
  /** Called with the child's stderr lines and supervision events. */
  onLog?: (line: string) => void;
}

export interface GstRtspServer {
  readonly host: string;
  readonly port: number;
  /** The current child's pid (undefined while restarting or after close). */
  readonly pid: number | undefined;
  /** How many times the child was restarted after dying. */
  readonly restarts: number;
  url(path: string): string;
  /** Stalls (valve drop=true) or resumes every live media of a mount; kept across restarts. */
  setStall(path: string, on: boolean): Promise<void>;
  /**
   * The live media of a mount (one per client that DESCRIBEd or SETUP it: mounts are unshared) and the RTSP
   * sessions (clients past SETUP) of the whole server, as the current child sees them.
   */
  sessions(path: string): Promise<{ media: number; sessions: number }>;
  /** Resolves once a child is up and listening. */
  whenReady(): Promise<void>;
  close(): Promise<void>;
}

const SCRIPT = fileURLToPath(new URL('./gst-server.py', import.meta.url));
const KILL_GRACE_MS = 2000;
const MAX_BACKOFF_MS = 5000;
const STABLE_MS = 10_000;

interface Child {
  proc: ChildProcessWithoutNullStreams;
  exited: Promise<void>;
  ready: boolean;
}

const liveChildren = new Set<ChildProcessWithoutNullStreams>();
let exitHookInstalled = false;
function trackChild(proc: ChildProcessWithoutNullStreams): void {
  liveChildren.add(proc);
  proc.once('exit', () => liveChildren.delete(proc));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const child of liveChildren) child.kill('SIGKILL');
    });
  }
}

export async function startGstRtspServer(options: GstRtspServerOptions): Promise<GstRtspServer> {
  for (const mount of options.mounts) {
    if (!mount.path.startsWith('/') || /\s/.test(mount.path)) throw new Error(`bad mount path ${mount.path}`);
  }
  const python = options.python ?? '/usr/bin/python3';
  const readyTimeoutMs = options.readyTimeoutMs ?? 10_000;
  const log = (line: string) => options.onLog?.(line);
  const stalled = new Set<string>();
  const acks = new Map<string, Array<() => void>>();
  let port = options.port;
  let current: Child | null = null;
  let closing = false;
  let restarts = 0;
  let failures = 0;
  let restartTimer: NodeJS.Timeout | null = null;
  const readyWaiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];

  type Counts = { media: number; sessions: number };
  const countWaiters = new Map<string, Array<(counts: Counts | Error) => void>>();
  const settleAcks = () => {
    for (const waiters of acks.values()) for (const resolve of waiters) resolve();
    acks.clear();
    for (const waiters of countWaiters.values())
      for (const done of waiters) done(new Error('gst-server exited'));
    countWaiters.clear();
  };

  /** Spawns one child and resolves with its port once it prints READY. */
  const spawnChild = (wantedPort: number): Promise<number> =>
    new Promise((resolve, reject) => {
      const proc = spawn(python, [SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'], detached: false });
      trackChild(proc);
      const exited = new Promise<void>((done) => proc.once('exit', () => done()));
      const child: Child = { proc, exited, ready: false };
      current = child;
      let stderrTail = '';
      const fail = (reason: string) => {
        clearTimeout(timer);
        proc.kill('SIGKILL');
        reject(new Error(`gst-server.py ${reason}${stderrTail ? `: ${stderrTail.slice(-1500)}` : ''}`));
      };
      const timer = setTimeout(() => fail(`not ready within ${readyTimeoutMs} ms`), readyTimeoutMs);
      proc.on('error', (error) => {
        if (current === child) current = null;
        fail(`failed to start: ${error.message}`);
      });
      proc.stdin.on('error', () => {}); // EPIPE once the child is gone
      const config = { host: options.host, port: wantedPort, mounts: options.mounts };
      proc.stdin.write(`${JSON.stringify(config)}\n`);
      for (const path of stalled) proc.stdin.write(`stall ${path} on\n`);
      createInterface({ input: proc.stderr }).on('line', (line) => {
        stderrTail = `${stderrTail}${line}\n`.slice(-4000);
        log(line);
      });
      createInterface({ input: proc.stdout }).on('line', (line) => {
        if (line.startsWith('READY ')) {
          clearTimeout(timer);
          child.ready = true;
          resolve(Number(line.slice(6)));
        } else if (line.startsWith('OK stall ')) {
          const key = line.slice('OK stall '.length);
          for (const done of acks.get(key) ?? []) done();
          acks.delete(key);
        } else if (line.startsWith('SESSIONS ')) {
          const [, path = '', media, sessions] = line.split(' ');
          const counts = { media: Number(media), sessions: Number(sessions) };
          for (const done of countWaiters.get(path) ?? []) done(counts);
          countWaiters.delete(path);
        }
      });
      proc.once('exit', (code, signal) => {
        clearTimeout(timer);
        if (current === child) current = null;
        settleAcks();
        if (!child.ready) fail(`exited before READY (code ${code}, signal ${signal})`);
        else onUnexpectedExit(code, signal);
      });
    });

  let startedAt = 0;
  const onUnexpectedExit = (code: number | null, signal: string | null) => {
    if (closing) return;
    log(`gst-server.py exited (code ${code}, signal ${signal}); restarting`);
    if (Date.now() - startedAt > STABLE_MS) failures = 0;
    scheduleRestart();
  };

  const scheduleRestart = () => {
    if (closing || restartTimer) return;
    const delay = Math.min(250 * 2 ** failures, MAX_BACKOFF_MS);
    failures++;
    restartTimer = setTimeout(() => {
      restartTimer = null;
      if (closing) return;
      spawnChild(port).then(
        () => {
          restarts++;
          startedAt = Date.now();
          if (closing) return;
          for (const waiter of readyWaiters.splice(0)) waiter.resolve();
        },
        (error: Error) => {
          log(`restart failed: ${error.message}`);
          scheduleRestart();
        },
      );
    }, delay);
  };

  port = await spawnChild(port);
  startedAt = Date.now();
  const hostForUrl = options.host.includes(':') ? `[${options.host}]` : options.host;

  return {
    host: options.host,
    get port() {
      return port;
    },
    get pid() {
      return current?.ready ? current.proc.pid : undefined;
    },
    get restarts() {
      return restarts;
    },
    url: (path) => `rtsp://${hostForUrl}:${port}${path}`,
    setStall(path, on) {
      if (/\s/.test(path)) return Promise.reject(new Error(`bad path ${path}`));
      if (on) stalled.add(path);
      else stalled.delete(path);
      const child = current;
      if (!child?.ready || closing) return Promise.resolve(); // applied when the next child starts
      const key = `${path} ${on ? 'on' : 'off'}`;
      return new Promise<void>((resolve) => {
        acks.set(key, [...(acks.get(key) ?? []), resolve]);
        child.proc.stdin.write(`stall ${key}\n`);
      });
    },
    sessions(path) {
      const child = current;
      if (/\s/.test(path)) return Promise.reject(new Error(`bad path ${path}`));
      if (!child?.ready || closing) return Promise.reject(new Error('gst-server is not running'));
      return new Promise((resolve, reject) => {
        const done = (counts: Counts | Error) => (counts instanceof Error ? reject(counts) : resolve(counts));
        countWaiters.set(path, [...(countWaiters.get(path) ?? []), done]);
        child.proc.stdin.write(`sessions ${path}\n`);
      });
    },
    whenReady() {
      if (closing) return Promise.reject(new Error('closed'));
      if (current?.ready) return Promise.resolve();
      return new Promise((resolve, reject) => readyWaiters.push({ resolve, reject }));
    },
    async close() {
      closing = true;
      if (restartTimer) clearTimeout(restartTimer);
      restartTimer = null;
      for (const waiter of readyWaiters.splice(0)) waiter.reject(new Error('closed'));
      const child = current;
      if (!child) return;
      const { proc, exited } = child;
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.stdin.end();
        proc.kill('SIGTERM');
        const killer = setTimeout(() => proc.kill('SIGKILL'), KILL_GRACE_MS);
        await exited;
        clearTimeout(killer);
      }
      settleAcks();
    },
  };
}
