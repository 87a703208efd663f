import { connect, type Socket } from 'node:net';
import {
  type FramerEvent,
  formatMessage,
  header,
  headerValues,
  isResponse,
  RtspFramer,
  type RtspMessage,
  requestLine,
  simpleResponse,
  statusOf,
} from './rtsp-framing.js';
import { type CameraCredentials, UpstreamAuth } from './rtsp-upstream-auth.js';

/**
 * One connection of the credential hop: ffmpeg on one side, the camera on the other. Every RTSP message
 * is rewritten (hop URL ⇄ camera URL, CSeq renumbered, Authorization added by the hop and answered
 * 401s retried); interleaved RTP/RTCP bytes pass through untouched. Messages stay parsed after PLAY too:
 * ffmpeg's keep-alives (GET_PARAMETER / OPTIONS) and TEARDOWN need authorization as much as SETUP did.
 * When ffmpeg goes without a TEARDOWN (killed, or its deadline fired), the hop sends one for it: a camera
 * keeps a session past its TCP connection until the session times out, and cameras allow few sessions.
 */

export interface HopGrant {
  host: string;
  port: number;
  /** 'rtsp://host[:port]' as the camera is addressed (no user info). */
  cameraPrefix: string;
  credentials: CameraCredentials;
}

export interface HopContext {
  /** The grant for a token, consumed (null when unknown, expired or used). */
  take(token: string): HopGrant | null;
  idleTimeoutMs: number;
  connectTimeoutMs: number;
  report(error: unknown): void;
}

interface Pending {
  method: string;
  uri: string;
  headers: Array<[string, string]>;
  body: Buffer;
  clientCseq: string | undefined;
  attempts: number;
}

/** How long the camera has to answer the hop's own TEARDOWN before its connection is dropped anyway. */
const TEARDOWN_GRACE_MS = 1000;
/** Above this many queued bytes the other side is paused until the queue drains. */
const HIGH_WATER_BYTES = 1 << 20;
/** A side whose queue still grows past this (it ignored the pause) is dropped. */
const MAX_QUEUED_BYTES = 8 << 20;
const MAX_PENDING_REQUESTS = 32;
const TOKEN = /^[0-9a-f]{32}$/;
/** Any absolute rtsp URL's scheme and authority (user info included) in a camera's message. */
const CAMERA_AUTHORITY = /rtsp:\/\/[^/\s;,"'<>]*/gi;
const HOP_HEADERS = new Set(['cseq', 'authorization', 'content-length', 'proxy-authorization']);

/** 'rtsp://127.0.0.1:8554/<token>…' → the token and the prefix that ends with it. */
function tokenOf(uri: string): { token: string; prefix: string } | null {
  const scheme = uri.indexOf('://');
  if (scheme < 0 || uri.slice(0, scheme).toLowerCase() !== 'rtsp') return null;
  const slash = uri.indexOf('/', scheme + 3);
  if (slash < 0) return null;
  const token = uri.slice(slash + 1, slash + 33);
  const after = uri[slash + 33];
  if (!TOKEN.test(token) || (after !== undefined && after !== '/' && after !== '?')) return null;
  return { token, prefix: uri.slice(0, slash + 33) };
}

export function serveHopConnection(client: Socket, ctx: HopContext): void {
  const fromClient = new RtspFramer();
  const fromCamera = new RtspFramer();
  const pending = new Map<string, Pending>();
  let grant: HopGrant | null = null;
  let auth: UpstreamAuth | null = null;
  let hopPrefix = '';
  let upstream: Socket | null = null;
  let nextCseq = 1;
  const openedAt = Date.now();
  let lastCameraByte = openedAt;
  let closed = false;
  /** The camera's session (its id, and the URL to end it by) while one is open and not torn down. */
  let session: { id: string; uri: string } | null = null;

  const idleCheck = setInterval(
    () => {
      const now = Date.now();
      // A client that names no valid grant soon is not ffmpeg: it gets no more time than a camera would.
      if (now - lastCameraByte > ctx.idleTimeoutMs || (!grant && now - openedAt > ctx.connectTimeoutMs)) {
        close();
      }
    },
    Math.max(50, Math.min(1000, ctx.idleTimeoutMs / 4)),
  );
  idleCheck.unref();

  function close(): void {
    if (closed) return;
    closed = true;
    clearInterval(idleCheck);
    pending.clear();
    endCameraSession();
    grant = null;
    auth = null;
    // Flush what the camera already sent (its last response, its final frames), then drop.
    client.end();
    setTimeout(() => client.destroy(), 2000).unref();
  }

  /** Ends the camera's side: a TEARDOWN of a session ffmpeg left open, then the connection. */
  function endCameraSession(): void {
    const socket = upstream;
    const open = session;
    session = null;
    if (!socket || socket.destroyed) return;
    if (!open || !auth || socket.connecting) {
      socket.destroy();
      return;
    }
    const headers: Array<[string, string]> = [
      ['CSeq', String(nextCseq++)],
      ['Session', open.id],
    ];
    const authorization = auth.authorize('TEARDOWN', open.uri);
    if (authorization !== undefined) headers.push(['Authorization', authorization]);
    socket.removeAllListeners('data');
    socket.resume(); // its answer and the last frames are read and dropped
    socket.end(formatMessage({ startLine: `TEARDOWN ${open.uri} RTSP/1.0`, headers, body: Buffer.alloc(0) }));
    setTimeout(() => socket.destroy(), TEARDOWN_GRACE_MS).unref();
  }

  /** Writes to `to`; pauses `from` while `to` is backed up. False when the connection was closed. */
  const send = (to: Socket, from: Socket, data: Buffer): boolean => {
    if (closed || to.destroyed) return false;
    to.write(data);
    if (to.writableLength > MAX_QUEUED_BYTES) {
      close();
      return false;
    }
    if (to.writableLength > HIGH_WATER_BYTES && !from.isPaused()) {
      from.pause();
      to.once('drain', () => from.resume());
    }
    return true;
  };

  const reply = (status: number, reason: string, cseq: string | undefined) => {
    if (!closed) client.write(simpleResponse(status, reason, cseq));
  };

  const toCamera = (text: string) =>
    hopPrefix === '' || !grant ? text : text.split(hopPrefix).join(grant.cameraPrefix);
  const toHop = (text: string) => text.replace(CAMERA_AUTHORITY, hopPrefix);

  const sendUpstream = (p: Pending) => {
    if (!upstream || !auth) return;
    const cseq = String(nextCseq++);
    p.attempts++;
    pending.set(cseq, p);
    const headers: Array<[string, string]> = [['CSeq', cseq]];
    for (const [name, value] of p.headers) {
      if (!HOP_HEADERS.has(name.toLowerCase())) headers.push([name, toCamera(value)]);
    }
    const authorization = auth.authorize(p.method, p.uri);
    if (authorization !== undefined) headers.push(['Authorization', authorization]);
    const message = { startLine: `${p.method} ${p.uri} RTSP/1.0`, headers, body: p.body };
    send(upstream, client, formatMessage(message));
  };

  const openUpstream = (g: HopGrant) => {
    const socket = connect({ host: g.host, port: g.port, noDelay: true });
    upstream = socket;
    const timer = setTimeout(() => failAll(504, 'Gateway Time-out'), ctx.connectTimeoutMs);
    socket.once('connect', () => clearTimeout(timer));
    socket.on('data', (chunk: Buffer) => {
      lastCameraByte = Date.now();
      try {
        for (const event of fromCamera.push(chunk)) onCameraEvent(event);
      } catch (error) {
        ctx.report(error);
        close();
      }
    });
    socket.on('error', () => clearTimeout(timer)); // 'close' follows
    socket.on('close', () => {
      clearTimeout(timer);
      // Requests still unanswered when the camera hangs up get a 502, so ffmpeg can say why.
      failAll(502, 'Bad Gateway');
    });
  };

  /** The camera could not be reached: every waiting request is answered, then the connection closes. */
  const failAll = (status: number, reason: string) => {
    for (const p of pending.values()) reply(status, reason, p.clientCseq);
    close();
  };

  const onClientRequest = (message: RtspMessage) => {
    const line = requestLine(message);
    const cseq = header(message, 'cseq');
    if (!line) {
      reply(400, 'Bad Request', cseq);
      close();
      return;
    }
    if (!grant) {
      const found = tokenOf(line.uri);
      const taken = found ? ctx.take(found.token) : null;
      if (!found || !taken) {
        reply(404, 'Not Found', cseq);
        close();
        return;
      }
      grant = taken;
      hopPrefix = found.prefix;
      auth = new UpstreamAuth(taken.credentials);
      openUpstream(taken);
    }
    if (line.uri !== '*' && !line.uri.startsWith(hopPrefix)) {
      reply(404, 'Not Found', cseq);
      return;
    }
    if (pending.size >= MAX_PENDING_REQUESTS) {
      close();
      return;
    }
    const uri = line.uri === '*' ? '*' : toCamera(line.uri);
    // ffmpeg ends the session itself: nothing is left for the hop to tear down
    if (line.method === 'TEARDOWN') session = null;
    else if (line.method === 'PLAY' && session) session = { ...session, uri };
    sendUpstream({
      method: line.method,
      uri,
      headers: message.headers,
      body: message.body,
      clientCseq: cseq,
      attempts: 0,
    });
  };

  const onCameraResponse = (message: RtspMessage) => {
    // Without a CSeq the answer is taken to be for the oldest request waiting.
    const key = header(message, 'cseq') ?? pending.keys().next().value;
    const p = key === undefined ? undefined : pending.get(key);
    if (key === undefined || !p) return; // an answer to nothing we sent: dropped
    pending.delete(key);
    const status = statusOf(message);
    const sessionId = header(message, 'session')?.split(';')[0]?.trim();
    if (p.method === 'SETUP' && status === 200 && sessionId) {
      session = { id: sessionId, uri: session?.uri ?? p.uri };
    }
    if (status === 401 && auth?.learn(headerValues(message, 'www-authenticate'), p.attempts)) {
      sendUpstream(p);
      return;
    }
    const headers: Array<[string, string]> = [];
    if (p.clientCseq !== undefined) headers.push(['CSeq', p.clientCseq]);
    for (const [name, value] of message.headers) {
      const lower = name.toLowerCase();
      // The hop owns authentication: challenges stay between it and the camera.
      if (lower === 'cseq' || lower === 'www-authenticate' || lower === 'content-length') continue;
      headers.push([name, toHop(value)]);
    }
    const type = (header(message, 'content-type') ?? '').toLowerCase();
    const textual = type.startsWith('application/sdp') || type.startsWith('text/');
    const body = textual ? Buffer.from(toHop(message.body.toString('latin1')), 'latin1') : message.body;
    send(client, upstream ?? client, formatMessage({ startLine: message.startLine, headers, body }));
  };

  const onCameraEvent = (event: FramerEvent) => {
    if (closed) return;
    if (event.kind === 'pass') send(client, upstream ?? client, event.data);
    else if (event.kind === 'error') close();
    else if (isResponse(event.message)) onCameraResponse(event.message);
    else {
      // A request from the camera (ANNOUNCE, SET_PARAMETER…): relayed with its URLs rewritten.
      const m = event.message;
      const headers = m.headers.map(([n, v]): [string, string] => [n, toHop(v)]);
      send(
        client,
        upstream ?? client,
        formatMessage({ startLine: toHop(m.startLine), headers, body: m.body }),
      );
    }
  };

  const onClientEvent = (event: FramerEvent) => {
    if (closed) return;
    if (event.kind === 'pass') {
      if (upstream) send(upstream, client, event.data);
    } else if (event.kind === 'error') {
      reply(400, 'Bad Request', undefined);
      close();
    } else if (isResponse(event.message)) {
      // ffmpeg answering a camera's request.
      const m = event.message;
      const headers = m.headers.map(([n, v]): [string, string] => [n, toCamera(v)]);
      if (upstream) send(upstream, client, formatMessage({ startLine: m.startLine, headers, body: m.body }));
    } else onClientRequest(event.message);
  };

  client.setNoDelay(true);
  client.on('data', (chunk: Buffer) => {
    try {
      for (const event of fromClient.push(chunk)) onClientEvent(event);
    } catch (error) {
      ctx.report(error);
      close();
    }
  });
  client.on('error', () => close());
  client.on('close', () => {
    close();
    client.destroy();
  });
}
