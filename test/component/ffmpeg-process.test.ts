import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveChildren, runFfmpeg, runFfprobe, startFfmpeg } from '../../src/media/ffmpeg-process.js';

/** Live (non-zombie) processes whose command line contains `marker`. */
async function processesWith(marker: string): Promise<Array<{ pid: number; name: string }>> {
  const found: Array<{ pid: number; name: string }> = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (!cmdline.includes(marker)) continue;
    const status = await readFile(`/proc/${entry}/status`, 'utf8').catch(() => '');
    if (status === '' || /^State:\s+Z/m.test(status)) continue;
    found.push({ pid: Number(entry), name: /^Name:\s+(\S+)/m.exec(status)?.[1] ?? '' });
  }
  return found;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs: number,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  let value = await probe();
  while (!done(value) && Date.now() < until) {
    await sleep(50);
    value = await probe();
  }
  return value;
}

const newMarker = () => `xlt-ffmpeg-test-${randomBytes(6).toString('hex')}`;
const markers: string[] = [];
const lavfi = (seconds: number) => ['-f', 'lavfi', '-i', `testsrc2=size=64x48:rate=25:duration=${seconds}`];

/** A TCP server that accepts connections and never says a word: an RTSP camera gone silent. */
let silent: Server;
const held = new Set<Socket>();

beforeAll(async () => {
  silent = createServer((socket) => {
    held.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => held.delete(socket));
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  for (const socket of held) socket.destroy();
  await new Promise((resolve) => silent.close(resolve));
  expect(liveChildren()).toEqual([]);
  for (const marker of markers) expect(await processesWith(marker)).toEqual([]);
});

describe('runFfmpeg', () => {
  it.each(['python', 'node'] as const)(
    'the deadline kills an ffmpeg stuck on a silent camera (%s watchdog)',
    async (watchdog) => {
      const marker = newMarker();
      markers.push(marker);
      const port = (silent.address() as { port: number }).port;
      const deadlineMs = 1500;
      const graceMs = 1000;
      const started = Date.now();
      const result = await runFfmpeg({
        // No -timeout: left alone, this ffmpeg would wait forever.
        args: ['-rtsp_transport', 'tcp', '-i', `rtsp://127.0.0.1:${port}/${marker}`, '-f', 'null', '-'],
        deadlineMs,
        graceMs,
        watchdog,
      });
      const elapsed = Date.now() - started;
      expect(result.timedOut).toBe(true);
      expect(result.code === 0).toBe(false);
      expect(elapsed).toBeGreaterThanOrEqual(deadlineMs);
      expect(elapsed).toBeLessThan(deadlineMs + graceMs + 1000);
      expect(result.ms).toBeLessThan(deadlineMs + graceMs + 1000);
      expect(liveChildren()).toEqual([]);
      expect(await processesWith(marker)).toEqual([]);
    },
  );

  it('SIGKILL follows when ffmpeg sits out the SIGTERM (blocked writing to a full pipe)', async () => {
    const marker = newMarker();
    markers.push(marker);
    const handle = startFfmpeg({
      args: ['-v', 'error', ...lavfi(600), '-metadata', `comment=${marker}`, '-f', 'rawvideo', '-'],
      deadlineMs: 1000,
      graceMs: 700,
      stdout: 'stream', // and never read: ffmpeg blocks in write() once the pipe is full
    });
    const result = await handle.result;
    expect(result.timedOut).toBe(true);
    expect(result.signal).toBe('SIGKILL');
    expect(result.ms).toBeGreaterThanOrEqual(1700);
    expect(result.ms).toBeLessThan(1700 + 1000);
    expect(await processesWith(marker)).toEqual([]);
  });

  it('collects stdout, exit code and stderr lines of a normal run', async () => {
    const lines: string[] = [];
    const result = await runFfmpeg({
      args: ['-v', 'info', ...lavfi(1), '-f', 'rawvideo', '-pix_fmt', 'gray', '-'],
      deadlineMs: 20_000,
      onStderrLine: (line) => lines.push(line),
    });
    expect(result).toMatchObject({ code: 0, signal: null, timedOut: false, stdoutOverflow: false });
    expect(result.stdout.length).toBe(64 * 48 * 25);
    expect(lines.some((line) => line.includes('Output #0'))).toBe(true);
    expect(result.stderrTail).toContain('Output #0');
  });

  it('ends a run whose stdout outgrows maxStdoutBytes', async () => {
    const result = await runFfmpeg({
      args: ['-v', 'error', ...lavfi(600), '-f', 'rawvideo', '-'],
      deadlineMs: 20_000,
      maxStdoutBytes: 100_000,
    });
    expect(result.stdoutOverflow).toBe(true);
    expect(result.timedOut).toBe(false);
    expect(result.stdout.length).toBeLessThanOrEqual(100_000);
    expect(result.ms).toBeLessThan(10_000);
  });

  it('streams stdout, and stop() ends the run early', async () => {
    const handle = startFfmpeg({
      args: ['-v', 'error', '-re', ...lavfi(600), '-f', 'rawvideo', '-'],
      deadlineMs: 60_000,
      stdout: 'stream',
    });
    expect(handle.stdout).not.toBeNull();
    let bytes = 0;
    handle.stdout?.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    await sleep(700);
    expect(liveChildren().map((c) => c.pid)).toContain(handle.pid);
    handle.stop();
    const result = await handle.result;
    expect(bytes).toBeGreaterThan(0);
    expect(result.stdout.length).toBe(0);
    expect(result.timedOut).toBe(false);
    expect(result.ms).toBeLessThan(5000);
    expect(liveChildren()).toEqual([]);
  });

  it('reports a program that cannot be run', async () => {
    const result = await runFfmpeg({ args: ['-version'], deadlineMs: 5000, bin: 'no-such-ffmpeg-xlt' });
    expect(result.code).toBe(127);
    expect(result.stderrTail).toContain('no-such-ffmpeg-xlt');
  });

  it('runFfprobe runs ffprobe', async () => {
    const result = await runFfprobe({ args: ['-version'], deadlineMs: 10_000 });
    expect(result.code).toBe(0);
    expect(result.stdout.toString()).toMatch(/^ffprobe version/);
  });
});

describe('no ffmpeg outlives its parent', () => {
  const startFixture = async (marker: string, watchdog: string, mode = 'wait') => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/fixtures/spawn-ffmpeg-then-wait.ts', marker, watchdog, mode],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    const started = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('fixture did not start')), 20_000);
      createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', (line) => {
        clearTimeout(timer);
        resolve(line);
      });
    });
    expect(started).toMatch(/^STARTED \d+$/);
    // Wait for ffmpeg itself (not only its watchdog) to be up.
    const procs = await waitFor(
      () => processesWith(marker),
      (list) => list.some((p) => p.name === 'ffmpeg'),
      10_000,
    );
    expect(procs.some((p) => p.name === 'ffmpeg')).toBe(true);
    return { child: child as ChildProcess, exited };
  };

  const gone = async (marker: string) => {
    const left = await waitFor(
      () => processesWith(marker),
      (list) => list.length === 0,
      5000,
    );
    expect(left).toEqual([]);
  };

  it.each(['python', 'node'] as const)('kill -9 of the parent (%s watchdog)', async (watchdog) => {
    const marker = newMarker();
    markers.push(marker);
    const { child, exited } = await startFixture(marker, watchdog);
    const killedAt = Date.now();
    child.kill('SIGKILL');
    expect((await exited).signal).toBe('SIGKILL');
    await gone(marker);
    expect(Date.now() - killedAt).toBeLessThan(5000);
  });

  it('SIGTERM of a parent that does not handle it: children killed, parent still terminates', async () => {
    const marker = newMarker();
    markers.push(marker);
    const { child, exited } = await startFixture(marker, 'python');
    child.kill('SIGTERM');
    expect(await exited).toEqual({ code: null, signal: 'SIGTERM' });
    await gone(marker);
  });

  it('process.exit() of the parent', async () => {
    const marker = newMarker();
    markers.push(marker);
    const { exited } = await startFixture(marker, 'node', 'exit');
    expect(await exited).toEqual({ code: 0, signal: null });
    await gone(marker);
  });
});
