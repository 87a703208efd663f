import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_FAULTS, type RtspCameraView, type RtspFaults } from '../../sim/rtsp/fault-view.js';
import { defaultClipCacheDir, ensureClips } from '../../sim/rtsp/h264-clip.js';
import { type LightRtspServer, startLightRtspServer } from '../../sim/rtsp/light-server.js';
import { RawRtspClient, rawPlay } from '../../sim/rtsp/rtsp-raw-client.js';

const HOST = '127.0.0.1';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** ffmpeg / ffprobe with a hard timeout; never rejects. */
function run(cmd: string, args: string[], timeoutMs = 20_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 8 << 20 },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
    );
  });
}

const probe = (url: string) =>
  run('ffprobe', [
    ...['-v', 'error', '-rtsp_transport', 'tcp', '-timeout', '5000000'],
    ...['-select_streams', 'v:0', '-show_entries', 'stream=codec_name,width,height', '-of', 'json', url],
  ]);

/** Our own ffmpeg/ffprobe/python children still alive. */
async function leftoverChildren(): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const status = await readFile(`/proc/${entry}/status`, 'utf8').catch(() => '');
    const name = /^Name:\s+(\S+)/m.exec(status)?.[1] ?? '';
    const ppid = Number(/^PPid:\s+(\d+)/m.exec(status)?.[1]);
    if (ppid === process.pid && /^(ffmpeg|ffprobe|python)/.test(name)) found.push(`${entry} ${name}`);
  }
  return found;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function camera(id: string, faults: Partial<RtspFaults> = {}, auth: RtspCameraView['auth'] = 'none') {
  const state: RtspFaults = { ...NO_FAULTS, ...faults };
  const view: RtspCameraView = {
    id,
    path: `/cam/${id}/main`,
    username: 'admin',
    password: `pw-${id}`,
    auth,
    faults: () => state,
  };
  return { view, state };
}

const cams = {
  open: camera('open'),
  digest: camera('digest', {}, 'digest'),
  basic: camera('basic', {}, 'basic'),
  authFails: camera('authfails', { authFails: true }, 'basic'),
  limit: camera('limit', { sessionLimit: true }),
  offline: camera('offline', { offline: true }),
  stalled: camera('stalled', { streamStall: true }),
  toggle: camera('toggle'),
  end: camera('end', { streamEnd: true }),
  black: camera('black', { black: true }),
};

let server: LightRtspServer;
let workDir: string;

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'xueliang-rtsp-light-'));
  const clips = await ensureClips(defaultClipCacheDir());
  server = await startLightRtspServer({
    host: HOST,
    port: 0,
    clips,
    cameras: Object.values(cams).map((c) => c.view),
  });
}, 120_000);

afterAll(async () => {
  await server?.close();
  await rm(workDir, { recursive: true, force: true });
  expect(await leftoverChildren()).toEqual([]);
});

describe('light RTSP responder', () => {
  it('ffprobe reads main and sub streams as 640x360 H.264', async () => {
    for (const url of [server.url('open'), server.url('open', 'sub')]) {
      const result = await probe(url);
      expect(result.code, result.stderr).toBe(0);
      const stream = JSON.parse(result.stdout).streams[0];
      expect(stream).toMatchObject({ codec_name: 'h264', width: 640, height: 360 });
    }
  });

  it('ffmpeg pulls 2 s of more than 20 frames', async () => {
    const out = join(workDir, 'pull.ts');
    const pull = await run('ffmpeg', [
      ...[
        '-nostdin',
        '-v',
        'error',
        '-rtsp_transport',
        'tcp',
        '-timeout',
        '5000000',
        '-i',
        server.url('open'),
      ],
      ...['-t', '2', '-c', 'copy', '-f', 'mpegts', '-y', out],
    ]);
    expect(pull.code, pull.stderr).toBe(0);
    const count = await run('ffprobe', [
      ...['-v', 'error', '-count_frames', '-select_streams', 'v:0'],
      ...['-show_entries', 'stream=nb_read_frames', '-of', 'json', out],
    ]);
    expect(count.code, count.stderr).toBe(0);
    expect(Number(JSON.parse(count.stdout).streams[0].nb_read_frames)).toBeGreaterThan(20);
  });

  it.each(['digest', 'basic'] as const)('%s auth: right password plays, wrong one is 401', async (kind) => {
    const url = new URL(server.url(kind));
    url.username = 'admin';
    url.password = `pw-${kind}`;
    const ok = await probe(url.toString());
    expect(ok.code, ok.stderr).toBe(0);
    url.password = 'wrong';
    const denied = await probe(url.toString());
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain('401');

    const client = await RawRtspClient.open(HOST, server.port);
    const challenge = await client.request('DESCRIBE', server.url(kind));
    client.close();
    expect(challenge.status).toBe(401);
    const header = challenge.headers.get('www-authenticate') ?? '';
    expect(header.startsWith(kind === 'digest' ? 'Digest realm="' : 'Basic realm="')).toBe(true);
    if (kind === 'digest') expect(header).toContain('nonce="');
  });

  it('authFails answers 401 even to the right password', async () => {
    const url = new URL(server.url('authfails'));
    url.username = 'admin';
    url.password = 'pw-authfails';
    const result = await probe(url.toString());
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('401');
  });

  it('sessionLimit: ffprobe fails and SETUP is answered 453', async () => {
    const result = await probe(server.url('limit'));
    expect(result.code).not.toBe(0);
    const client = await RawRtspClient.open(HOST, server.port);
    const replies = await rawPlay(client, server.url('limit'));
    client.close();
    expect(replies.map((r) => r.status)).toEqual([200, 200, 453]);
  });

  it('SETUP over UDP is answered 461', async () => {
    const client = await RawRtspClient.open(HOST, server.port);
    const reply = await client.request('SETUP', `${server.url('open')}/trackID=0`, {
      Transport: 'RTP/AVP;unicast;client_port=5000-5001',
    });
    client.close();
    expect(reply.status).toBe(461);
  });

  it('offline: the connection is closed at once, other cameras still answer', async () => {
    const client = await RawRtspClient.open(HOST, server.port);
    await expect(client.request('OPTIONS', server.url('offline'))).rejects.toThrow('connection closed');
    expect(client.isClosed).toBe(true);
    const other = await RawRtspClient.open(HOST, server.port);
    expect((await other.request('OPTIONS', server.url('open'))).status).toBe(200);
    other.close();
  });

  it('streamStall: after PLAY no RTP flows for 2 s while RTSP stays up', async () => {
    const client = await RawRtspClient.open(HOST, server.port);
    const replies = await rawPlay(client, server.url('stalled'));
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    await sleep(2000);
    expect(client.interleavedBytes).toBe(0);
    expect(client.isClosed).toBe(false);
    expect((await client.request('GET_PARAMETER', server.url('stalled'))).status).toBe(200);
    client.close();
  });

  it('streamStall toggled at run time stops a stream in progress, and resumes it', async () => {
    const client = await RawRtspClient.open(HOST, server.port);
    await rawPlay(client, server.url('toggle'));
    await sleep(500);
    expect(client.framesOn(0)).toBeGreaterThan(10);
    cams.toggle.state.streamStall = true;
    await sleep(200);
    const before = client.interleavedBytes;
    await sleep(2000);
    expect(client.interleavedBytes).toBe(before);
    expect(client.isClosed).toBe(false);
    cams.toggle.state.streamStall = false;
    await sleep(1500); // resumes at the next IDR frame (one per second)
    expect(client.interleavedBytes).toBeGreaterThan(before);
    client.close();
  });

  it('streamEnd: frames for about 2 s, then the connection closes', async () => {
    const client = await RawRtspClient.open(HOST, server.port);
    await rawPlay(client, server.url('end'));
    const playedAt = Date.now();
    await Promise.race([client.closed, sleep(5000)]);
    expect(client.isClosed).toBe(true);
    expect(Date.now() - playedAt).toBeLessThan(5000);
    expect(client.framesOn(0)).toBeGreaterThan(20);
  });

  it('black fault plays the black clip', async () => {
    const result = await run('ffmpeg', [
      ...['-nostdin', '-rtsp_transport', 'tcp', '-timeout', '5000000', '-i', server.url('black')],
      ...['-t', '2', '-vf', 'blackdetect=d=1', '-f', 'null', '-'],
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('black_start');
  });

  it('parses requests split byte by byte; garbage closes only its own connection', async () => {
    const slow = connect({ host: HOST, port: server.port });
    const text = `OPTIONS ${server.url('open')} RTSP/1.0\r\nCSeq: 7\r\n\r\n`;
    const reply = new Promise<string>((resolve) => {
      let got = '';
      slow.on('data', (chunk) => {
        got += chunk.toString('latin1');
        if (got.includes('\r\n\r\n')) resolve(got);
      });
    });
    await new Promise((resolve) => slow.once('connect', resolve));
    for (const byte of Buffer.from(text)) {
      slow.write(Buffer.from([byte]));
      await sleep(1);
    }
    expect(await reply).toMatch(/^RTSP\/1\.0 200 OK\r\nCSeq: 7\r\n/);
    slow.destroy();

    for (const junk of [
      'HELLO\r\n\r\n',
      'X'.repeat(20_000),
      `DESCRIBE * RTSP/1.0\r\nContent-Length: -4\r\n\r\n`,
    ]) {
      const bad = connect({ host: HOST, port: server.port });
      bad.on('error', () => {});
      bad.resume(); // read the 400, so the server's FIN is seen
      bad.write(junk);
      await new Promise((resolve) => bad.once('close', resolve));
    }
    const client = await RawRtspClient.open(HOST, server.port);
    expect((await client.request('OPTIONS', server.url('open'))).status).toBe(200);
    client.close();
  });

  it('answers 200 concurrent OPTIONS+DESCRIBE handshakes', async () => {
    const handshake = async (): Promise<number[]> => {
      const client = await RawRtspClient.open(HOST, server.port);
      try {
        const url = server.url('open');
        const options = await client.request('OPTIONS', url);
        const describe = await client.request('DESCRIBE', url, { Accept: 'application/sdp' });
        expect(describe.body).toContain('sprop-parameter-sets=');
        return [options.status, describe.status];
      } finally {
        client.close();
      }
    };
    const statuses = await Promise.all(Array.from({ length: 200 }, handshake));
    expect(statuses.flat().filter((s) => s !== 200)).toEqual([]);
    expect(statuses).toHaveLength(200);
  });
});
