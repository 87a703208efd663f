import { type ChildProcess, spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { defaultWatchdog, type WatchdogKind, watchdogCommand } from './ffmpeg-watchdog.js';

/**
 * THE way the product runs ffmpeg and ffprobe. Every run:
 *  - is spawned with an argument array (never a shell), under a watchdog that leads its own process group
 *    (see ffmpeg-watchdog.ts), so nothing survives us even after kill -9;
 *  - has a hard deadline: SIGTERM to the group, SIGKILL after `graceMs` (ffmpeg ignores the first SIGTERM
 *    while blocked on I/O), and is always reaped;
 *  - is in a registry of live runs that are killed when this process exits or receives SIGTERM.
 * The tool's stdin is /dev/null (it never reads ours); stdout is collected (bounded) or streamed.
 */

/** Protocols a camera input may use: RTSP with interleaved RTP over TCP, nothing local. */
export const CAMERA_PROTOCOL_WHITELIST = 'tcp,rtp,rtsp';

const DEFAULT_GRACE_MS = 2000;
const DEFAULT_MAX_STDOUT_BYTES = 32 << 20;
const STDERR_TAIL_CHARS = 8192;
const MAX_STDERR_LINE_CHARS = 4096;

export interface FfmpegRunOptions {
  /** Arguments after the program name; `-nostdin -hide_banner` (ffprobe: `-hide_banner`) come first. */
  args: string[];
  /** Wall-clock limit of the whole run; the group gets SIGTERM then, SIGKILL `graceMs` later. */
  deadlineMs: number;
  graceMs?: number;
  /** 'buffer' (default): result.stdout holds it; 'stream': read handle.stdout; 'ignore': /dev/null. */
  stdout?: 'buffer' | 'stream' | 'ignore';
  /** In 'buffer' mode: more than this ends the run (stdoutOverflow), default 32 MiB. */
  maxStdoutBytes?: number;
  /** Each stderr line as it arrives (ffmpeg's '\r' progress updates count as lines). */
  onStderrLine?: (line: string) => void;
  /** Program; default 'ffmpeg' / 'ffprobe' from PATH. */
  bin?: string;
  /** Default: python when /usr/bin/python3 exists, else node. */
  watchdog?: WatchdogKind;
}

export interface FfmpegResult {
  /** Exit code, or null when a signal ended it (or it never started). */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderrTail: string;
  /** The deadline fired and the run was killed. */
  timedOut: boolean;
  /** 'buffer' mode only: the run produced more than maxStdoutBytes and was killed. */
  stdoutOverflow: boolean;
  ms: number;
}

export interface FfmpegHandle {
  /** The watchdog's pid, which is also the process group id (undefined if spawning failed). */
  readonly pid: number | undefined;
  /** 'stream' mode: the tool's stdout; otherwise null. */
  readonly stdout: Readable | null;
  readonly result: Promise<FfmpegResult>;
  /** Ends the run early: SIGTERM to the group, SIGKILL after the grace period. */
  stop(): void;
}

interface LiveRun {
  proc: ChildProcess;
  tool: string;
  args: readonly string[];
  stop(): void;
}

const live = new Map<number, LiveRun>();

/** The runs not yet reaped: pid (= process group) and the tool's arguments. For tests and diagnostics. */
export function liveChildren(): Array<{ pid: number; tool: string; args: readonly string[] }> {
  return [...live.entries()].map(([pid, run]) => ({ pid, tool: run.tool, args: run.args }));
}

/** Signals a run's group, but only while its leader is unreaped (so the group id cannot be reused). */
function signalGroup(proc: ChildProcess, signal: NodeJS.Signals): void {
  if (proc.pid === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
  try {
    process.kill(-proc.pid, signal);
  } catch {
    // ESRCH: already gone
  }
}

let hooksInstalled = false;
function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', () => {
    for (const run of live.values()) signalGroup(run.proc, 'SIGKILL');
  });
  // Runs first, while every other SIGTERM listener is still registered: when we are the only one, the
  // default action (terminate) is restored and the signal re-raised, so adding this hook changes nothing
  // for a process that did not handle SIGTERM itself.
  const onTerm = () => {
    const alone = process.listenerCount('SIGTERM') === 1;
    for (const run of live.values()) run.stop();
    if (alone) {
      process.removeListener('SIGTERM', onTerm);
      hooksInstalled = false;
      for (const run of live.values()) signalGroup(run.proc, 'SIGKILL');
      process.kill(process.pid, 'SIGTERM');
    }
  };
  process.prependListener('SIGTERM', onTerm);
}

function start(tool: string, defaultArgs: string[], options: FfmpegRunOptions): FfmpegHandle {
  const startedAt = Date.now();
  const graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
  const stdoutMode = options.stdout ?? 'buffer';
  const maxStdout = options.maxStdoutBytes ?? DEFAULT_MAX_STDOUT_BYTES;
  const args = [...defaultArgs, ...options.args];
  const command = watchdogCommand(options.watchdog ?? defaultWatchdog(), graceMs, options.bin ?? tool, args);
  installHooks();
  const proc = spawn(command.command, command.args, {
    detached: true,
    stdio: ['pipe', stdoutMode === 'ignore' ? 'ignore' : 'pipe', 'pipe'],
    windowsHide: true,
  });

  let timedOut = false;
  let stdoutOverflow = false;
  let stopping = false;
  let killTimer: NodeJS.Timeout | undefined;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    signalGroup(proc, 'SIGTERM');
    killTimer = setTimeout(() => signalGroup(proc, 'SIGKILL'), graceMs);
  };
  const deadline = setTimeout(() => {
    timedOut = true;
    stop();
  }, options.deadlineMs);

  if (proc.pid !== undefined) live.set(proc.pid, { proc, tool, args, stop });
  // The pipe stays open for the run's life: its EOF is what tells the watchdog that we are gone.
  proc.stdin?.on('error', () => {});

  const chunks: Buffer[] = [];
  let stdoutBytes = 0;
  if (stdoutMode === 'buffer') {
    proc.stdout?.on('data', (chunk: Buffer) => {
      if (stdoutOverflow) return;
      stdoutBytes += chunk.length;
      if (stdoutBytes > maxStdout) {
        stdoutOverflow = true;
        stop();
        return;
      }
      chunks.push(chunk);
    });
  }

  let stderrTail = '';
  let partial = '';
  const emitLine = (line: string) => {
    if (line !== '') options.onStderrLine?.(line);
  };
  proc.stderr?.setEncoding('utf8');
  proc.stderr?.on('data', (text: string) => {
    stderrTail = (stderrTail + text).slice(-STDERR_TAIL_CHARS);
    const parts = (partial + text).split(/\r\n|\r|\n/);
    partial = parts.pop() ?? '';
    if (partial.length > MAX_STDERR_LINE_CHARS) {
      parts.push(partial);
      partial = '';
    }
    for (const line of parts) emitLine(line);
  });

  const result = new Promise<FfmpegResult>((resolve) => {
    let settled = false;
    const finish = (code: number | null, signal: NodeJS.Signals | null, spawnError?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      clearTimeout(killTimer);
      if (proc.pid !== undefined) live.delete(proc.pid);
      proc.stdin?.destroy();
      emitLine(partial);
      if (spawnError) stderrTail = `${stderrTail}${spawnError.message}\n`.slice(-STDERR_TAIL_CHARS);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(chunks),
        stderrTail,
        timedOut,
        stdoutOverflow,
        ms: Date.now() - startedAt,
      });
    };
    proc.once('error', (error) => {
      // Spawning failed (no 'exit' follows), or a kill failed on a dead process (ignored then).
      if (proc.pid === undefined) finish(null, null, error);
    });
    // Done once the watchdog exited and the output we collect has ended. A streamed stdout is the
    // caller's to drain: a paused one must not keep the result from settling.
    const ended = (stream: Readable | null) =>
      new Promise<void>((done) => {
        if (!stream || stream.closed) done();
        else stream.once('close', () => done());
      });
    const outputs = Promise.all([ended(proc.stderr), stdoutMode === 'buffer' ? ended(proc.stdout) : null]);
    proc.once('exit', (code, signal) => {
      // Only the tool could keep our pipes open after the watchdog is gone, and it dies with it; if the
      // pipes still linger, stop waiting for them rather than signalling a group that may be gone.
      const linger = setTimeout(() => {
        proc.stderr?.destroy();
        if (stdoutMode === 'buffer') proc.stdout?.destroy();
      }, graceMs + 1000);
      void outputs.then(() => {
        clearTimeout(linger);
        finish(code, signal);
      });
    });
  });

  return { pid: proc.pid, stdout: stdoutMode === 'stream' ? proc.stdout : null, result, stop };
}

/** Starts ffmpeg (see {@link FfmpegRunOptions}); for streaming stdout or stopping early. */
export function startFfmpeg(options: FfmpegRunOptions): FfmpegHandle {
  return start('ffmpeg', ['-nostdin', '-hide_banner'], options);
}

export function startFfprobe(options: FfmpegRunOptions): FfmpegHandle {
  return start('ffprobe', ['-hide_banner'], options);
}

/** Runs ffmpeg to completion (or to its deadline). Never rejects. */
export function runFfmpeg(options: FfmpegRunOptions): Promise<FfmpegResult> {
  return startFfmpeg(options).result;
}

/** Runs ffprobe to completion (or to its deadline). Never rejects. */
export function runFfprobe(options: FfmpegRunOptions): Promise<FfmpegResult> {
  return startFfprobe(options).result;
}
