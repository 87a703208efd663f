import { readdir, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_FAULTS, type RtspCameraView } from '../../sim/rtsp/fault-view.js';
import { type GstRtspServer, startGstRtspServer } from '../../sim/rtsp/gst-server.js';
import { defaultClipCacheDir, ensureClips } from '../../sim/rtsp/h264-clip.js';
import { type LightRtspServer, startLightRtspServer } from '../../sim/rtsp/light-server.js';
import { RawRtspClient, rawPlay } from '../../sim/rtsp/rtsp-raw-client.js';
import { type CredentialHop, startCredentialHop } from '../../src/media/credential-hop.js';
import { type FfmpegResult, liveChildren, runFfmpeg, runFfprobe } from '../../src/media/ffmpeg-process.js';
import { redactSecrets } from '../../src/redact.js';

const HOST = '127.0.0.1';
const USER = 'admin';
const PASSWORD = 'Hop:p@ss/%9';
const CREDS = { username: USER, password: PASSWORD };
const GST_PATH = '/cam/gst-hop/main';
/** Every form the password could take on a command line or in an environment. */
const PASSWORD_FORMS = [
  PASSWORD,
  encodeURIComponent(PASSWORD),
  encodeURIComponent(PASSWORD).replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase()),
  Buffer.from(PASSWORD).toString('base64'),
  Buffer.from(`${USER}:${PASSWORD}`).toString('base64'),
];

function camera(id: string, auth: RtspCameraView['auth'], faults = {}): RtspCameraView {
  const state = { ...NO_FAULTS, ...faults };
  return { id, path: `/cam/${id}/main`, username: USER, password: PASSWORD, auth, faults: () => state };
}

const tokenOf = (hopUrl: string) => /\/([0-9a-f]{32})(?:[/?]|$)/.exec(hopUrl)?.[1] ?? '';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Seen {
  pid: number;
  name: string;
  cmdline: string;
  environ: string;
}

/**
 * Collects, while `run` is in flight, every live process whose command line carries `needle` — each
 * state it is seen in (the watchdog's fork is python3 until it execs the tool).
 */
async function watchProcesses(needle: string, run: Promise<FfmpegResult>): Promise<Seen[]> {
  const seen = new Map<string, Seen>();
  let done = false;
  void run.finally(() => {
    done = true;
  });
  while (!done) {
    for (const entry of await readdir('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const cmdline = (await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => ''))
        .split('\0')
        .join(' ');
      if (!cmdline.includes(needle)) continue;
      const status = await readFile(`/proc/${entry}/status`, 'utf8').catch(() => '');
      const environ = await readFile(`/proc/${entry}/environ`, 'utf8').catch(() => '');
      const name = /^Name:\s+(\S+)/m.exec(status)?.[1] ?? '';
      seen.set(`${entry} ${name}`, { pid: Number(entry), name, cmdline, environ });
    }
    await sleep(20);
  }
  return [...seen.values()];
}

function expectNoPassword(processes: Seen[]): void {
  for (const p of processes) {
    for (const text of [p.cmdline, p.environ]) {
      for (const form of PASSWORD_FORMS) expect(text).not.toContain(form);
      expect(redactSecrets(text, [PASSWORD])).toBe(text);
    }
  }
}

const probeArgs = (url: string) => [
  ...['-v', 'error', '-rtsp_transport', 'tcp', '-timeout', '5000000'],
  ...['-select_streams', 'v:0', '-show_entries', 'stream=codec_name,width,height', '-of', 'json', url],
];
const probe = (url: string) => runFfprobe({ args: probeArgs(url), deadlineMs: 15_000 });

let light: LightRtspServer;
let gst: GstRtspServer;
let hop: CredentialHop;

beforeAll(async () => {
  light = await startLightRtspServer({
    host: HOST,
    port: 0,
    clips: await ensureClips(defaultClipCacheDir()),
    // Short sessions: ffmpeg sends a keep-alive every second, through the hop.
    sessionTimeoutSeconds: 2,
    cameras: [
      camera('digest', 'digest'),
      camera('basic', 'basic'),
      camera('stalled', 'digest', { streamStall: true }),
    ],
  });
  gst = await startGstRtspServer({
    host: HOST,
    port: 0,
    mounts: [
      {
        path: GST_PATH,
        pattern: 'moving',
        width: 320,
        height: 240,
        fps: 15,
        auth: { user: USER, password: PASSWORD },
      },
    ],
  });
  hop = await startCredentialHop({ host: HOST });
}, 120_000);

afterAll(async () => {
  await hop?.close();
  await light?.close();
  await gst?.close();
  expect(liveChildren()).toEqual([]);
});

describe('credential hop', () => {
  it('ffprobe reads a Digest camera through the hop; the password is on no command line', async () => {
    const url = hop.grant(light.url('digest'), CREDS, 10_000);
    expect(url).toMatch(/^rtsp:\/\/127\.0\.0\.1:\d+\/[0-9a-f]{32}\/cam\/digest\/main$/);
    const run = probe(url);
    const processes = await watchProcesses(tokenOf(url), run);
    const result = await run;
    expect(result.code, result.stderrTail).toBe(0);
    expect(JSON.parse(result.stdout.toString()).streams[0]).toMatchObject({ codec_name: 'h264', width: 640 });
    expect(processes.map((p) => p.name)).toContain('ffprobe');
    expectNoPassword(processes);
  });

  it('ffprobe reads a Basic-protected GStreamer mount through the hop', async () => {
    const url = hop.grant(gst.url(GST_PATH), CREDS, 10_000);
    const run = probe(url);
    const processes = await watchProcesses(tokenOf(url), run);
    const result = await run;
    expect(result.code, result.stderrTail).toBe(0);
    expect(JSON.parse(result.stdout.toString()).streams[0]).toMatchObject({ codec_name: 'h264', width: 320 });
    expect(processes.map((p) => p.name)).toContain('ffprobe');
    expectNoPassword(processes);
  });

  it('ffmpeg plays 4 s through the hop, keep-alives included, without the password in sight', async () => {
    const url = hop.grant(light.url('digest'), CREDS, 10_000);
    const run = runFfmpeg({
      args: [
        ...['-v', 'error', '-rtsp_transport', 'tcp', '-timeout', '5000000', '-i', url],
        ...['-t', '4', '-an', '-f', 'framecrc', '-'],
      ],
      deadlineMs: 20_000,
    });
    const processes = await watchProcesses(tokenOf(url), run);
    const result = await run;
    expect(result.code, result.stderrTail).toBe(0);
    const frames = result.stdout
      .toString()
      .split('\n')
      .filter((l) => /^\d+,/.test(l));
    expect(frames.length).toBeGreaterThan(80);
    expect(processes.map((p) => p.name)).toContain('ffmpeg');
    expectNoPassword(processes);
  });

  it('a used or unknown token is refused with 404', async () => {
    const url = hop.grant(light.url('basic'), CREDS, 10_000);
    expect((await probe(url)).code).toBe(0);
    const reused = await probe(url);
    expect(reused.code).not.toBe(0);
    expect(reused.stderrTail).toContain('404');
    const unknown = url.replace(tokenOf(url), '0123456789abcdef0123456789abcdef');
    expect((await probe(unknown)).stderrTail).toContain('404');
    const malformed = `rtsp://${HOST}:${hop.port}/cam/basic/main`;
    expect((await probe(malformed)).stderrTail).toContain('404');
  });

  it('an expired grant is refused, and forgotten', async () => {
    const before = hop.pendingGrants;
    const url = hop.grant(light.url('digest'), CREDS, 100);
    expect(hop.pendingGrants).toBe(before + 1);
    await sleep(250);
    expect(hop.pendingGrants).toBe(before);
    expect((await probe(url)).stderrTail).toContain('404');
  });

  it.each([
    ['Digest light camera', () => light.url('digest')],
    ['Basic GStreamer mount', () => gst.url(GST_PATH)],
  ])('wrong camera credentials: the 401 reaches ffprobe (%s)', async (_, cameraUrl) => {
    const url = hop.grant(cameraUrl(), { username: USER, password: 'not-it' }, 10_000);
    const result = await probe(url);
    expect(result.code).not.toBe(0);
    expect(result.stderrTail).toContain('401');
  });

  it('an unreachable camera is answered 502', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, HOST, resolve));
    const port = (closed.address() as { port: number }).port;
    await new Promise((resolve) => closed.close(resolve));
    const result = await probe(hop.grant(`rtsp://${HOST}:${port}/x`, CREDS, 10_000));
    expect(result.code).not.toBe(0);
    expect(result.stderrTail).toContain('502');
  });

  it('raw RTSP through the hop: hop URLs only, no challenge echoed, keep-alive authorized, RTP flows', async () => {
    const url = hop.grant(light.url('digest'), CREDS, 10_000);
    const client = await RawRtspClient.open(HOST, hop.port);
    try {
      const replies = await rawPlay(client, url);
      expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 200]);
      expect(replies[1]?.headers.get('content-base')).toBe(`${url}/`);
      expect(replies[3]?.headers.get('rtp-info')).toContain(`url=${url}/trackID=0;`);
      for (const reply of replies) {
        expect(reply.headers.has('www-authenticate')).toBe(false);
        expect([...reply.headers.values()].join(' ')).not.toContain(`:${light.port}`);
      }
      const session = (replies[2]?.headers.get('session') ?? '').split(';')[0] ?? '';
      expect((await client.request('GET_PARAMETER', url, { Session: session })).status).toBe(200);
      for (let i = 0; i < 40 && client.framesOn(0) < 10; i++) await sleep(50);
      expect(client.framesOn(0)).toBeGreaterThanOrEqual(10);
    } finally {
      client.close();
    }
  });

  it('ends the camera session itself, with a TEARDOWN, when its client leaves without one', async () => {
    const url = hop.grant(gst.url(GST_PATH), CREDS, 10_000);
    const client = await RawRtspClient.open(HOST, hop.port);
    const replies = await rawPlay(client, url);
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect((await gst.sessions(GST_PATH)).sessions).toBe(1);
    client.close(); // as ffmpeg killed: no TEARDOWN
    // the simulated camera would keep the session for its 10 s timeout; the hop's TEARDOWN ends it at once
    await expect
      .poll(async () => (await gst.sessions(GST_PATH)).sessions, { timeout: 5000, interval: 200 })
      .toBe(0);
  });

  it('closes a session whose camera goes silent', async () => {
    const quick = await startCredentialHop({ host: HOST, idleTimeoutMs: 800 });
    try {
      const client = await RawRtspClient.open(HOST, quick.port);
      const replies = await rawPlay(client, quick.grant(light.url('stalled'), CREDS, 10_000));
      expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 200]);
      const playedAt = Date.now();
      await Promise.race([client.closed, sleep(4000)]);
      expect(client.isClosed).toBe(true);
      expect(Date.now() - playedAt).toBeLessThan(3000);
    } finally {
      await quick.close();
    }
  });

  it('refuses to listen beyond loopback', async () => {
    await expect(startCredentialHop({ host: '0.0.0.0' })).rejects.toThrow('loopback');
    expect(() => hop.grant('http://example.test/x', CREDS, 1000)).toThrow('rtsp://');
  });
});
