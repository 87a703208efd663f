import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawRtspClient, rawPlay } from '../../sim/rtsp/rtsp-raw-client.js';
import { type CredentialHop, startCredentialHop } from '../../src/media/credential-hop.js';

/**
 * The credential hop against a scripted camera that answers with absolute URLs carrying its own (NAT'd)
 * address and even user info, and challenges with Basic: what the camera receives and what the client
 * gets back are both checked byte for byte.
 */

const HOST = '127.0.0.1';
const USER = 'admin';
const PASSWORD = 'Hop:p@ss/%9';
const CREDS = { username: USER, password: PASSWORD };

const tokenOf = (hopUrl: string) => /\/([0-9a-f]{32})(?:[/?]|$)/.exec(hopUrl)?.[1] ?? '';
const prefixOf = (hopUrl: string) => hopUrl.slice(0, hopUrl.indexOf(tokenOf(hopUrl)) + 32);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let hop: CredentialHop;
beforeAll(async () => {
  hop = await startCredentialHop({ host: HOST });
});
afterAll(async () => {
  await hop?.close();
});

describe('credential hop against a camera that names itself', () => {
  /** A camera that sends absolute URLs with its own (NAT'd) address and even user info in them. */
  let fake: Server;
  const received: Array<{ line: string; cseq: string; authorization: string | undefined }> = [];
  const fakeSockets = new Set<Socket>();

  beforeAll(async () => {
    fake = createServer((socket) => {
      fakeSockets.add(socket);
      socket.on('close', () => fakeSockets.delete(socket));
      let buf = '';
      socket.on('data', (chunk) => {
        buf += chunk.toString('latin1');
        for (let end = buf.indexOf('\r\n\r\n'); end >= 0; end = buf.indexOf('\r\n\r\n')) {
          const lines = buf.slice(0, end).split('\r\n');
          buf = buf.slice(end + 4);
          const get = (name: string) =>
            lines
              .find((l) => l.toLowerCase().startsWith(`${name}:`))
              ?.slice(name.length + 1)
              .trim();
          const cseq = get('cseq') ?? '';
          const authorization = get('authorization');
          received.push({ line: lines[0] ?? '', cseq, authorization });
          const method = (lines[0] ?? '').split(' ')[0];
          const send = (status: string, headers: string[], body = '') =>
            socket.write(
              `RTSP/1.0 ${status}\r\nCSeq: ${cseq}\r\n${headers.map((h) => `${h}\r\n`).join('')}` +
                `${body ? `Content-Length: ${Buffer.byteLength(body)}\r\n` : ''}\r\n${body}`,
            );
          const expected = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
          if (authorization !== expected) send('401 Unauthorized', ['WWW-Authenticate: Basic realm="fake"']);
          else if (method === 'OPTIONS') send('200 OK', ['Public: OPTIONS, DESCRIBE, SETUP, PLAY']);
          else if (method === 'DESCRIBE') {
            const sdp = 'v=0\r\nm=video 0 RTP/AVP 96\r\na=control:rtsp://10.9.8.7:554/live/ch1/track1\r\n';
            send(
              '200 OK',
              ['Content-Base: rtsp://admin:secret@10.9.8.7:554/live/ch1/', 'Content-Type: application/sdp'],
              sdp,
            );
          } else if (method === 'SETUP')
            send('200 OK', ['Transport: RTP/AVP/TCP;interleaved=0-1', 'Session: 42']);
          else if (method === 'PLAY') {
            send('200 OK', ['Session: 42', 'RTP-Info: url=rtsp://10.9.8.7:554/live/ch1/track1;seq=1']);
            socket.write(Buffer.from([0x24, 0, 0, 3, 0x80, 0x60, 0x00]));
          } else send('501 Not Implemented', []);
        }
      });
    });
    await new Promise<void>((resolve) => fake.listen(0, HOST, resolve));
  });

  afterAll(async () => {
    for (const socket of fakeSockets) socket.destroy();
    await new Promise((resolve) => fake.close(resolve));
  });

  it('rewrites URLs both ways, answers the challenge itself and keeps the client’s CSeq', async () => {
    const port = (fake.address() as { port: number }).port;
    const url = hop.grant(`rtsp://ignored:user@${HOST}:${port}/live/ch1`, CREDS, 10_000);
    const prefix = prefixOf(url);
    const client = await RawRtspClient.open(HOST, hop.port);
    try {
      const replies = await rawPlay(client, url);
      expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 200]);
      expect(replies[1]?.headers.get('content-base')).toBe(`${prefix}/live/ch1/`);
      expect(replies[1]?.body).toContain(`a=control:${prefix}/live/ch1/track1`);
      expect(replies[3]?.headers.get('rtp-info')).toBe(`url=${prefix}/live/ch1/track1;seq=1`);
      const everything = replies.map((r) => [...r.headers.values(), r.body].join('\n')).join('\n');
      for (const leak of ['10.9.8.7', 'secret', 'ignored', `:${port}`])
        expect(everything).not.toContain(leak);
      for (let i = 0; i < 40 && client.framesOn(0) < 1; i++) await sleep(25);
      expect(client.framesOn(0)).toBe(1);
    } finally {
      client.close();
    }
    // The camera saw its own URLs, and credentials only from the hop, after its challenge.
    const camera = `rtsp://${HOST}:${port}/live/ch1`;
    expect(received.map((r) => r.line)).toEqual([
      `OPTIONS ${camera} RTSP/1.0`,
      `OPTIONS ${camera} RTSP/1.0`,
      `DESCRIBE ${camera} RTSP/1.0`,
      `SETUP ${camera}/track1 RTSP/1.0`,
      `PLAY ${camera}/ RTSP/1.0`,
    ]);
    expect(received[0]?.authorization).toBeUndefined();
    expect(received.slice(1).every((r) => r.authorization?.startsWith('Basic '))).toBe(true);
    expect(new Set(received.map((r) => r.cseq)).size).toBe(received.length); // renumbered upstream

    // The client's own CSeq comes back, whatever the hop used upstream.
    const raw = connect({ host: HOST, port: hop.port });
    const answer = await new Promise<string>((resolve) => {
      let text = '';
      raw.on('data', (chunk) => {
        text += chunk.toString('latin1');
        if (text.includes('\r\n\r\n')) resolve(text);
      });
      raw.write(`OPTIONS ${hop.grant(camera, CREDS, 10_000)} RTSP/1.0\r\nCSeq: 4242\r\n\r\n`);
    });
    raw.destroy();
    expect(answer).toMatch(/^RTSP\/1\.0 200 OK\r\nCSeq: 4242\r\n/);
  });
});
