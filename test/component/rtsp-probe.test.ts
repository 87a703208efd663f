import { createHash } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_FAULTS, type RtspCameraView, type RtspFaults } from '../../sim/rtsp/fault-view.js';
import { type GstRtspServer, startGstRtspServer } from '../../sim/rtsp/gst-server.js';
import { CLIP_FPS, defaultClipCacheDir, ensureClips, type H264Clip } from '../../sim/rtsp/h264-clip.js';
import { type LightRtspServer, startLightRtspServer } from '../../sim/rtsp/light-server.js';
import { AuthMemory } from '../../src/rtsp/auth-memory.js';
import { probeHandshake, probeStream, tcpConnect } from '../../src/rtsp/probe.js';

const HOST = '127.0.0.1';
const CANARY = 'Rt:s@p/%1';
const USER = 'admin';

/** Every result of this file, checked at the end for any form of the canary password. */
const results: unknown[] = [];
const keep = <T>(result: T): T => {
  results.push(result);
  return result;
};

function camera(id: string, auth: RtspCameraView['auth'], faults: Partial<RtspFaults> = {}) {
  const state: RtspFaults = { ...NO_FAULTS, ...faults };
  const view: RtspCameraView = {
    id,
    path: `/cam/${id}/main`,
    username: USER,
    password: CANARY,
    auth,
    faults: () => state,
  };
  return { view, state };
}

const cams = {
  basic: camera('basic', 'basic'),
  digest: camera('digest', 'digest'),
  open: camera('open', 'none'),
  authFails: camera('authfails', 'digest', { authFails: true }),
  limit: camera('limit', 'digest', { sessionLimit: true }),
  offline: camera('offline', 'none', { offline: true }),
  stall: camera('stall', 'none', { streamStall: true }),
  toggle: camera('toggle', 'basic'),
  end: camera('end', 'digest', { streamEnd: true }),
};

/** A TCP server that does whatever `onConnection` says; tracks sockets so close() is immediate. */
async function scripted(
  onConnection: (socket: Socket) => void,
): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

const elapsed = async <T>(run: () => Promise<T>): Promise<[T, number]> => {
  const started = Date.now();
  const value = await run();
  return [value, Date.now() - started];
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let light: LightRtspServer;
let clip: H264Clip;

beforeAll(async () => {
  const clips = await ensureClips(defaultClipCacheDir());
  clip = clips.moving;
  light = await startLightRtspServer({
    host: HOST,
    port: 0,
    clips,
    cameras: Object.values(cams).map((c) => c.view),
  });
}, 120_000);

afterAll(async () => {
  await light?.close();
});

const creds = { username: USER, password: CANARY };

describe('probeHandshake against the light responder', () => {
  it.each(['basic', 'digest'] as const)('%s: ok, with the SDP of the clip', async (kind) => {
    const result = keep(await probeHandshake({ url: light.url(kind), ...creds, timeoutMs: 3000 }));
    expect(result).toMatchObject({ outcome: 'ok', status: 200, error: null });
    expect(result.sdp).toMatchObject({
      codec: 'H264',
      payloadType: 96,
      clockRate: 90_000,
      profileLevelId: clip.profileLevelId.toLowerCase(),
      width: 640,
      height: 360,
      control: 'trackID=0',
    });
    expect(result.connectMs).toBeGreaterThanOrEqual(0);
    expect(result.rtspMs).toBeGreaterThan(0);
  });

  it('credentials in the URL are used, and a camera without auth needs none', async () => {
    const url = new URL(light.url('digest'));
    url.username = USER;
    url.password = CANARY; // percent-encoded by URL
    expect(url.toString()).toContain('%40');
    expect(keep(await probeHandshake({ url: url.toString(), timeoutMs: 3000 })).outcome).toBe('ok');
    const encoded = `rtsp://${USER}:${encodeURIComponent(CANARY)}@${HOST}:${light.port}/cam/basic/main`;
    expect(keep(await probeHandshake({ url: encoded, timeoutMs: 3000 })).outcome).toBe('ok');
    expect(keep(await probeHandshake({ url: light.url('open'), timeoutMs: 3000 })).outcome).toBe('ok');
  });

  it('wrong password, no credentials and a camera refusing everyone are auth', async () => {
    for (const kind of ['basic', 'digest'] as const) {
      const wrong = keep(
        await probeHandshake({ url: light.url(kind), username: USER, password: 'nope', timeoutMs: 3000 }),
      );
      expect(wrong).toMatchObject({ outcome: 'auth', status: 401 });
      const none = keep(await probeHandshake({ url: light.url(kind), timeoutMs: 3000 }));
      expect(none).toMatchObject({ outcome: 'auth', status: 401 });
    }
    const url = new URL(light.url('basic'));
    url.username = USER;
    url.password = `${CANARY}x`;
    expect(keep(await probeHandshake({ url: url.toString(), timeoutMs: 3000 })).outcome).toBe('auth');
    const refused = keep(await probeHandshake({ url: light.url('authfails'), ...creds, timeoutMs: 3000 }));
    expect(refused).toMatchObject({ outcome: 'auth', status: 401 });
    expect(refused.error).toContain('401');
  });

  it('offline camera (connection closed at once) is network', async () => {
    const result = keep(await probeHandshake({ url: light.url('offline'), ...creds, timeoutMs: 3000 }));
    expect(result).toMatchObject({ outcome: 'network', status: null });
    expect(result.connectMs).not.toBeNull();
  });

  it('a 404 path is signalling', async () => {
    const url = `rtsp://${HOST}:${light.port}/cam/nobody/main`;
    expect(keep(await probeHandshake({ url, timeoutMs: 3000 }))).toMatchObject({
      outcome: 'signalling',
      status: 404,
    });
  });
});

describe('probeHandshake against misbehaving peers', () => {
  it('a closed port is network, fast', async () => {
    const gone = await scripted(() => {});
    const port = gone.port;
    await gone.close();
    const [result, ms] = await elapsed(() =>
      probeHandshake({ url: `rtsp://${HOST}:${port}/x`, timeoutMs: 5000 }),
    );
    keep(result);
    expect(result).toMatchObject({ outcome: 'network', status: null, connectMs: null });
    expect(result.error).toContain('refused');
    expect(ms).toBeLessThan(1000);
    expect(await tcpConnect(HOST, port, 1000)).toEqual({ ok: false, error: 'refused' });
    const open = await tcpConnect(HOST, light.port, 1000);
    expect(open.ok).toBe(true);
  });

  it('a server that accepts and never answers ends within the deadline', async () => {
    const mute = await scripted(() => {});
    const [result, ms] = await elapsed(() =>
      probeHandshake({ url: `rtsp://${HOST}:${mute.port}/x`, ...creds, timeoutMs: 800 }),
    );
    await mute.close();
    keep(result);
    expect(['network', 'signalling']).toContain(result.outcome);
    expect(ms).toBeLessThan(800 + 1000);
    expect(ms).toBeGreaterThanOrEqual(750);
  });

  it('a slow drip that never completes a response ends within the deadline', async () => {
    const drip = await scripted((socket) => {
      const timer = setInterval(() => socket.write('R'), 20);
      socket.on('close', () => clearInterval(timer));
    });
    const [result, ms] = await elapsed(() =>
      probeHandshake({ url: `rtsp://${HOST}:${drip.port}/x`, timeoutMs: 800 }),
    );
    await drip.close();
    keep(result);
    expect(['network', 'signalling']).toContain(result.outcome);
    expect(ms).toBeLessThan(800 + 1000);
  });

  it('garbage replies are signalling', async () => {
    for (const reply of [
      'HTTP/1.1 400 Bad Request\r\n\r\n',
      '\x00\x01garbage',
      'HELLO\r\n\r\n',
      'RTSP/1.0 2x0 OK\r\n\r\n',
    ]) {
      const server = await scripted((socket) => socket.once('data', () => socket.write(reply)));
      const [result, ms] = await elapsed(() =>
        probeHandshake({ url: `rtsp://${HOST}:${server.port}/x`, timeoutMs: 3000 }),
      );
      await server.close();
      keep(result);
      expect(result.outcome, JSON.stringify(reply)).toBe('signalling');
      expect(ms).toBeLessThan(1000);
    }
  });

  it('503 is session_limit; credentials stay in the Authorization header only', async () => {
    const seen: string[] = [];
    const server = await scripted((socket) => {
      let buffered = '';
      socket.on('data', (chunk) => {
        buffered += chunk.toString('latin1');
        for (let end = buffered.indexOf('\r\n\r\n'); end >= 0; end = buffered.indexOf('\r\n\r\n')) {
          const request = buffered.slice(0, end);
          buffered = buffered.slice(end + 4);
          seen.push(request);
          const cseq = /CSeq: (\d+)/.exec(request)?.[1];
          const authorized = /^Authorization: Basic /m.test(request);
          const status = request.startsWith('OPTIONS')
            ? '200 OK'
            : authorized
              ? '503 Service Unavailable'
              : '401 Unauthorized';
          const challenge = status.startsWith('401') ? 'WWW-Authenticate: Basic realm="cam"\r\n' : '';
          socket.write(`RTSP/1.0 ${status}\r\nCSeq: ${cseq}\r\n${challenge}\r\n`);
        }
      });
    });
    const url = `rtsp://${USER}:${encodeURIComponent(CANARY)}@${HOST}:${server.port}/live?ch=1`;
    const result = keep(await probeHandshake({ url, timeoutMs: 3000 }));
    await server.close();
    expect(result).toMatchObject({ outcome: 'session_limit', status: 503 });
    expect(seen.map((r) => r.split('\r\n')[0])).toEqual([
      `OPTIONS rtsp://${HOST}:${server.port}/live?ch=1 RTSP/1.0`,
      `DESCRIBE rtsp://${HOST}:${server.port}/live?ch=1 RTSP/1.0`,
      `DESCRIBE rtsp://${HOST}:${server.port}/live?ch=1 RTSP/1.0`,
    ]);
    const basic = Buffer.from(`${USER}:${CANARY}`).toString('base64');
    expect(seen[2]).toContain(`Authorization: Basic ${basic}`);
    for (const request of seen) {
      const withoutAuth = request.replace(/^Authorization: .*$/m, '');
      expect(withoutAuth).not.toContain(USER);
      expect(withoutAuth).not.toContain(basic);
      expect(withoutAuth).not.toContain(encodeURIComponent(CANARY));
    }
  });
});

describe('remembered challenges', () => {
  const md5 = (t: string) => createHash('md5').update(t).digest('hex');
  /** A Digest camera (qop=auth) whose current nonce can be changed; it logs each request line and verdict. */
  async function digestCamera() {
    const state = { nonce: 'n1', log: [] as string[] };
    const server = await scripted((socket) => {
      let buffered = '';
      socket.on('data', (chunk) => {
        buffered += chunk.toString('latin1');
        for (let end = buffered.indexOf('\r\n\r\n'); end >= 0; end = buffered.indexOf('\r\n\r\n')) {
          const request = buffered.slice(0, end);
          buffered = buffered.slice(end + 4);
          const [method = '', uri = ''] = request.split(' ');
          const cseq = /CSeq: (\d+)/.exec(request)?.[1];
          const field = (k: string) => new RegExp(`${k}="?([^",]*)"?`).exec(request)?.[1] ?? '';
          let status = '200 OK';
          if (method !== 'OPTIONS') {
            const ha1 = md5(`${USER}:cam:${CANARY}`);
            const expected = md5(
              `${ha1}:${state.nonce}:${field('nc')}:${field('cnonce')}:auth:${md5(`${method}:${uri}`)}`,
            );
            const authorized = /^Authorization: Digest /m.test(request) && field('response') === expected;
            status = authorized ? '200 OK' : '401 Unauthorized';
          }
          state.log.push(`${method} ${status.slice(0, 3)}${/^Authorization/m.test(request) ? ' auth' : ''}`);
          const challenge = status.startsWith('401')
            ? `WWW-Authenticate: Digest realm="cam", nonce="${state.nonce}", qop="auth"\r\n`
            : '';
          const sdp = 'v=0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=control:trackID=0\r\n';
          const body = method === 'DESCRIBE' && status.startsWith('200') ? sdp : '';
          const type = body ? `Content-Type: application/sdp\r\nContent-Length: ${body.length}\r\n` : '';
          socket.write(`RTSP/1.0 ${status}\r\nCSeq: ${cseq}\r\n${challenge}${type}\r\n${body}`);
        }
      });
    });
    return { server, state, url: `rtsp://${HOST}:${server.port}/live` };
  }

  it('the next probe answers the remembered challenge at once; a new nonce or a wrong password is handled', async () => {
    const cam = await digestCamera();
    const authMemory = new AuthMemory();
    const probe = (password = CANARY) =>
      probeHandshake({ url: cam.url, username: USER, password, timeoutMs: 3000, authMemory });
    try {
      expect((await probe()).outcome).toBe('ok');
      expect(cam.state.log.splice(0)).toEqual(['OPTIONS 200', 'DESCRIBE 401', 'DESCRIBE 200 auth']);
      expect(authMemory.size).toBe(1);

      expect((await probe()).outcome).toBe('ok');
      expect(cam.state.log.splice(0)).toEqual(['OPTIONS 200', 'DESCRIBE 200 auth']);

      // the camera changed its nonce: refused once, answered again, still ok (not an auth failure)
      cam.state.nonce = 'n2';
      expect((await probe()).outcome).toBe('ok');
      expect(cam.state.log.splice(0)).toEqual(['OPTIONS 200', 'DESCRIBE 401 auth', 'DESCRIBE 200 auth']);

      expect((await probe('wrong')).outcome).toBe('auth');
      expect(cam.state.log.splice(0)).toEqual(['OPTIONS 200', 'DESCRIBE 401 auth', 'DESCRIBE 401 auth']);
    } finally {
      await cam.server.close();
    }
  });
});

describe('probeStream against the light responder', () => {
  it('ok: frames at about the clip rate, keyframes, first frame latency', async () => {
    const windowMs = 2000;
    const result = keep(await probeStream({ url: light.url('digest'), ...creds, windowMs, timeoutMs: 5000 }));
    expect(result).toMatchObject({ outcome: 'ok', codec: 'H264', error: null });
    expect(result.frames).toBeGreaterThan(0.5 * CLIP_FPS * (windowMs / 1000));
    expect(result.keyframes).toBeGreaterThanOrEqual(1);
    expect(result.packets).toBeGreaterThanOrEqual(result.frames);
    expect(result.bytes).toBeGreaterThan(0);
    expect(result.fps).toBeGreaterThan(0.5 * CLIP_FPS);
    expect(result.bitrateKbps).toBeGreaterThan(0);
    expect(result.firstFrameMs).not.toBeNull();
    expect(result.firstFrameMs).toBeLessThan(1000);
  });

  it('sessionLimit: SETUP answered 453 is session_limit', async () => {
    const result = keep(
      await probeStream({ url: light.url('limit'), ...creds, windowMs: 1000, timeoutMs: 3000 }),
    );
    expect(result).toMatchObject({ outcome: 'session_limit', status: 453, frames: 0 });
  });

  it('streamStall: no RTP after PLAY is caught by our own deadline', async () => {
    const [result, ms] = await elapsed(() =>
      probeStream({ url: light.url('stall'), windowMs: 1500, timeoutMs: 3000 }),
    );
    keep(result);
    expect(['stalled', 'no_frames']).toContain(result.outcome);
    expect(result.frames).toBe(0);
    expect(ms).toBeLessThan(3000 + 1000);
  });

  it('a stream that stalls mid-window is stalled', async () => {
    cams.toggle.state.streamStall = false;
    const pending = probeStream({ url: light.url('toggle'), ...creds, windowMs: 3000, timeoutMs: 5000 });
    await sleep(600);
    cams.toggle.state.streamStall = true;
    const [result, ms] = await elapsed(() => pending);
    cams.toggle.state.streamStall = false;
    keep(result);
    expect(result.outcome).toBe('stalled');
    expect(result.frames).toBeGreaterThan(0);
    expect(result.error).toContain('no frames for the last');
    expect(ms).toBeLessThan(5000);
  });

  it('streamEnd: the server closing the connection is ended', async () => {
    const result = keep(
      await probeStream({ url: light.url('end'), ...creds, windowMs: 4000, timeoutMs: 6000 }),
    );
    expect(result.outcome).toBe('ended');
    expect(result.frames).toBeGreaterThan(20);
  });

  it('handshake outcomes carry through', async () => {
    const wrong = keep(
      await probeStream({
        url: light.url('basic'),
        username: USER,
        password: 'no',
        windowMs: 500,
        timeoutMs: 2000,
      }),
    );
    expect(wrong).toMatchObject({ outcome: 'auth', status: 401, codec: null, frames: 0 });
    const offline = keep(await probeStream({ url: light.url('offline'), windowMs: 500, timeoutMs: 2000 }));
    expect(offline.outcome).toBe('network');
  });
});

describe('probeStream against a scripted H.265 server', () => {
  /** One interleaved RTP packet: '$', channel, length, 12-byte header, payload. */
  const packet = (channel: number, seq: number, ts: number, marker: boolean, payload: number[]) => {
    const out = Buffer.alloc(16 + payload.length);
    out.write('$', 0, 'latin1');
    out[1] = channel;
    out.writeUInt16BE(12 + payload.length, 2);
    out[4] = 0x80;
    out[5] = (marker ? 0x80 : 0) | 96;
    out.writeUInt16BE(seq & 0xffff, 6);
    out.writeUInt32BE(ts >>> 0, 8);
    out.writeUInt32BE(0xcafe, 12);
    Buffer.from(payload).copy(out, 16);
    return out;
  };
  const nal = (type: number, size: number) => [type << 1, 1, ...Array.from({ length: size }, () => 0xab)];
  const unit = (bytes: number[]) => [bytes.length >> 8, bytes.length & 0xff, ...bytes];

  /** Packets of frame i at 25 fps: an IRAP frame (AP with parameter sets, FU start and end) every 25th. */
  function framePackets(channel: number, i: number, seq: { n: number }): Buffer[] {
    const ts = i * 3600;
    if (i % 25 !== 0) return [packet(channel, seq.n++, ts, true, nal(1, 300))];
    const params = [...unit(nal(32, 20)), ...unit(nal(33, 30)), ...unit(nal(34, 6))];
    return [
      packet(channel, seq.n++, ts, false, [48 << 1, 1, ...params]),
      packet(channel, seq.n++, ts, false, [49 << 1, 1, 0x80 | 19, ...Array(1000).fill(0xcd)]),
      packet(channel, seq.n++, ts, true, [49 << 1, 1, 0x40 | 19, ...Array(500).fill(0xcd)]),
    ];
  }

  /** Writes `data` in small pieces a few ms apart, so the client sees it split at odd places. */
  async function dribble(socket: Socket, data: Buffer, piece: number): Promise<void> {
    for (let at = 0; at < data.length && !socket.destroyed; at += piece) {
      socket.write(data.subarray(at, at + piece));
      await sleep(1);
    }
  }

  it('parses split responses and frames, skips server requests and RTCP, counts H.265 keyframes', async () => {
    const requests: string[] = [];
    let streaming: NodeJS.Timeout | undefined;
    const server = await scripted((socket) => {
      socket.setNoDelay(true);
      let buffered = '';
      socket.on('close', () => clearInterval(streaming));
      socket.on('data', async (chunk) => {
        buffered += chunk.toString('latin1');
        for (let end = buffered.indexOf('\r\n\r\n'); end >= 0; end = buffered.indexOf('\r\n\r\n')) {
          const request = buffered.slice(0, end);
          buffered = buffered.slice(end + 4);
          requests.push(request);
          const cseq = /CSeq: (\d+)/.exec(request)?.[1];
          const ok = `RTSP/1.0 200 OK\r\nCSeq: ${cseq}\r\n`;
          const base = `rtsp://${HOST}:${server.port}/h265/`;
          if (request.startsWith('DESCRIBE')) {
            const sdp = 'v=0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H265/90000\r\na=control:track1\r\n';
            const reply = `${ok}Content-Base: ${base}\r\nContent-Type: application/sdp\r\nContent-Length: ${sdp.length}\r\n\r\n${sdp}`;
            await dribble(socket, Buffer.from(reply), 3);
          } else if (request.startsWith('SETUP')) {
            socket.write(
              `${ok}Transport: RTP/AVP/TCP;unicast;interleaved=2-3\r\nSession: s3ss10n;timeout=60\r\n\r\n`,
            );
          } else if (request.startsWith('PLAY')) {
            // An RTCP sender report and a request from the server come first; the response has no CSeq.
            socket.write(Buffer.concat([Buffer.from([0x24, 3, 0, 4]), Buffer.from([0x80, 200, 0, 0])]));
            socket.write('GET_PARAMETER * RTSP/1.0\r\nCSeq: 1\r\nContent-Length: 4\r\n\r\nping');
            socket.write('RTSP/1.0 200 OK\r\nSession: s3ss10n\r\n\r\n');
            const seq = { n: 100 };
            let i = 0;
            streaming = setInterval(() => {
              const data = Buffer.concat(framePackets(2, i++, seq));
              // '$' header alone, then 7 bytes, then the rest: split inside the interleaved header and RTP header
              socket.write(data.subarray(0, 3));
              setImmediate(() => socket.write(data.subarray(3, 10)));
              setTimeout(() => socket.write(data.subarray(10)), 2);
            }, 40);
          } else socket.write(`${ok}\r\n`);
        }
      });
    });
    const result = keep(
      await probeStream({ url: `rtsp://${HOST}:${server.port}/h265`, windowMs: 1500, timeoutMs: 5000 }),
    );
    await server.close();
    expect(result, JSON.stringify(result)).toMatchObject({ outcome: 'ok', codec: 'H265', status: 200 });
    expect(result.sdp).toMatchObject({ codec: 'H265', control: 'track1' });
    expect(result.frames).toBeGreaterThan(15);
    expect(result.keyframes).toBeGreaterThanOrEqual(1);
    expect(result.packets).toBe(result.frames + 2 * result.keyframes);
    const lines = requests.map((r) => r.split('\r\n')[0]);
    expect(lines).toEqual([
      `OPTIONS rtsp://${HOST}:${server.port}/h265 RTSP/1.0`,
      `DESCRIBE rtsp://${HOST}:${server.port}/h265 RTSP/1.0`,
      `SETUP rtsp://${HOST}:${server.port}/h265/track1 RTSP/1.0`,
      `PLAY rtsp://${HOST}:${server.port}/h265/ RTSP/1.0`,
      `TEARDOWN rtsp://${HOST}:${server.port}/h265/ RTSP/1.0`,
    ]);
    expect(requests[2]).toContain('Transport: RTP/AVP/TCP;unicast;interleaved=0-1');
    expect(requests[3]).toContain('Session: s3ss10n\r\n');
  });
});

describe('probeStream against GStreamer', () => {
  let gst: GstRtspServer;
  const MOVING = '/cam/gst-moving/main';
  const LOCKED = '/cam/gst-locked/main';

  beforeAll(async () => {
    gst = await startGstRtspServer({
      host: HOST,
      port: 0,
      readyTimeoutMs: 30_000,
      mounts: [
        { path: MOVING, pattern: 'moving', width: 320, height: 240, fps: 15 },
        {
          path: LOCKED,
          pattern: 'moving',
          width: 320,
          height: 240,
          fps: 15,
          auth: { user: USER, password: CANARY },
        },
      ],
    });
  }, 60_000);

  afterAll(async () => {
    await gst?.close();
  });

  it('a real RTSP server streams ok', async () => {
    const result = keep(await probeStream({ url: gst.url(MOVING), windowMs: 2000, timeoutMs: 15_000 }));
    expect(result, JSON.stringify(result)).toMatchObject({ outcome: 'ok', codec: 'H264' });
    expect(result.frames).toBeGreaterThan(0.5 * 15 * 2);
    expect(result.keyframes).toBeGreaterThanOrEqual(1);
    expect(result.sdp).toMatchObject({ width: 320, height: 240 });
  }, 30_000);

  it('Basic auth against a real server: right password ok, wrong one auth', async () => {
    const ok = keep(await probeStream({ url: gst.url(LOCKED), ...creds, windowMs: 1500, timeoutMs: 15_000 }));
    expect(ok.outcome, JSON.stringify(ok)).toBe('ok');
    const wrong = keep(
      await probeHandshake({ url: gst.url(LOCKED), username: USER, password: 'x', timeoutMs: 5000 }),
    );
    expect(wrong).toMatchObject({ outcome: 'auth', status: 401 });
  }, 30_000);
});

describe('secrets', () => {
  it('no result carries the password or user:password in any encoding', () => {
    expect(results.length).toBeGreaterThan(20);
    const text = JSON.stringify(results);
    const forms = [
      CANARY,
      JSON.stringify(CANARY).slice(1, -1),
      encodeURIComponent(CANARY),
      encodeURI(CANARY),
      Buffer.from(CANARY).toString('base64').replace(/=+$/, ''),
      Buffer.from(`${USER}:${CANARY}`).toString('base64').replace(/=+$/, ''),
    ];
    for (const form of forms) expect(text).not.toContain(form);
  });
});
