import { randomBytes } from 'node:crypto';
import { type DigestChallenge, digestAuthorization, parseDigestChallenge } from '../onvif/http-digest.js';
import { redactSecrets } from '../redact.js';
import { socketHost } from '../url-host.js';
import { AuthMemory, type RememberedAuth } from './auth-memory.js';
import { isResponse, RtspConnection, type RtspFailure, type RtspResponse } from './connection.js';
import { RtpFrameCounter, type StreamFigures } from './rtp-h26x.js';
import { parseSdp, resolveControl, type SdpVideo, stripUserinfo, type VideoCodec } from './sdp.js';

/**
 * The RTSP probes of a camera's network, signalling and stream layers. Each probe ends within its timeoutMs
 * whatever the peer does (one hard deadline on the connection), never throws, and keeps credentials to the
 * Authorization header: userinfo in the URL is taken out and used as credentials, and every error text is
 * passed through redactSecrets.
 */

export type HandshakeOutcome = 'ok' | 'network' | 'auth' | 'session_limit' | 'signalling';
export type StreamOutcome = HandshakeOutcome | 'no_frames' | 'stalled' | 'ended';

export interface HandshakeOptions {
  /** rtsp://[user:password@]host[:port]/path */
  url: string;
  /** Take precedence over userinfo in the URL. */
  username?: string;
  password?: string;
  timeoutMs: number;
  /** the challenges cameras sent before: answered at once, without waiting to be refused first */
  authMemory?: AuthMemory;
}

export interface StreamOptions extends HandshakeOptions {
  /** How long to count RTP after PLAY; the window is cut short if timeoutMs would pass first. */
  windowMs: number;
}

export interface HandshakeResult {
  outcome: HandshakeOutcome;
  /** The last RTSP status received, null when none was. */
  status: number | null;
  connectMs: number | null;
  /** From sending OPTIONS to the DESCRIBE response. */
  rtspMs: number | null;
  /** Set when outcome is 'ok' (and for every stream probe that got that far). */
  sdp: SdpVideo | null;
  /** Short, redacted; null when outcome is 'ok'. */
  error: string | null;
}

export interface StreamResult extends Omit<HandshakeResult, 'outcome'>, StreamFigures {
  outcome: StreamOutcome;
  codec: VideoCodec | null;
}

export type TcpConnectResult =
  | { ok: true; ms: number }
  | { ok: false; error: 'refused' | 'timeout' | 'unreachable' };

interface Target {
  host: string;
  port: number;
  /** The request URL, without userinfo. */
  uri: string;
  username: string | null;
  password: string | null;
  secrets: string[];
  authMemory: AuthMemory | null;
}

type Verdict = [HandshakeOutcome, string];

const TEARDOWN_WAIT_MS = 500;
const round = (ms: number): number => Math.round(ms * 100) / 100;

export async function tcpConnect(host: string, port: number, timeoutMs: number): Promise<TcpConnectResult> {
  const opened = await RtspConnection.open(host, port, Date.now() + timeoutMs);
  if ('error' in opened) return { ok: false, error: opened.error };
  opened.conn.close();
  return { ok: true, ms: round(opened.connectMs) };
}

export async function probeHandshake(options: HandshakeOptions): Promise<HandshakeResult> {
  const target = parseTarget(options);
  if (target === null) return failed('signalling', null, 'invalid rtsp:// URL');
  try {
    const { result, dialog } = await handshake(target, Date.now() + options.timeoutMs);
    dialog?.conn.close();
    return redacted(result, target);
  } catch (error) {
    return redacted(failed('signalling', null, `internal error: ${String(error)}`), target);
  }
}

export async function probeStream(options: StreamOptions): Promise<StreamResult> {
  const target = parseTarget(options);
  if (target === null) return streamResult(failed('signalling', null, 'invalid rtsp:// URL'));
  const deadlineAt = Date.now() + options.timeoutMs;
  let out: StreamResult = streamResult(failed('signalling', null, 'internal error'));
  let conn: RtspConnection | null = null;
  try {
    const hs = await handshake(target, deadlineAt);
    out = streamResult(hs.result);
    if (hs.dialog === null || hs.result.sdp === null) return redacted(out, target);
    conn = hs.dialog.conn;
    await stream(hs.dialog, hs.result.sdp, hs.base, options.windowMs, deadlineAt, out);
  } catch (error) {
    Object.assign(out, { outcome: 'signalling', error: `internal error: ${String(error)}` });
  } finally {
    conn?.close();
  }
  return redacted(out, target);
}

/** Runs SETUP, PLAY, the counting window and TEARDOWN on an established dialog; fills `out`. */
async function stream(
  dialog: Dialog,
  sdp: SdpVideo,
  base: string,
  windowMs: number,
  deadlineAt: number,
  out: StreamResult,
): Promise<void> {
  const { conn } = dialog;
  const fail = (outcome: StreamOutcome, error: string) => Object.assign(out, { outcome, error });
  const transport = 'Transport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n';
  const setup = await dialog.send('SETUP', resolveControl(base, sdp.control), transport);
  out.status = dialog.status;
  if (!isResponse(setup) || !is2xx(setup)) return void fail(...refusal(setup, 'SETUP', conn));
  const session = (setup.headers.get('session') ?? '').split(';')[0]?.trim() ?? '';
  if (session === '') return void fail('signalling', 'SETUP: no Session header');
  const counter = new RtpFrameCounter(sdp.codec, () => performance.now());
  const channel = interleavedChannel(setup.headers.get('transport') ?? '');
  conn.onFrame = (ch, data, length) => {
    if (ch === channel) counter.push(data, length);
  };
  const playUri = resolveControl(base, sdp.sessionControl);
  const sessionHeader = `Session: ${session}\r\n`;
  const play = await dialog.send('PLAY', playUri, `${sessionHeader}Range: npt=0.000-\r\n`);
  out.status = dialog.status;
  if (!isResponse(play) || !is2xx(play)) return void fail(...refusal(play, 'PLAY', conn));

  const playAt = performance.now();
  // Our own timer ends the window (a stalled server is never waited on), leaving time for TEARDOWN.
  const reserve = Math.min(200, Math.max(0, deadlineAt - Date.now()) / 10);
  const windowLeft = Math.max(0, Math.min(windowMs, deadlineAt - reserve - Date.now()));
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, windowLeft);
    conn.onClose = () => {
      clearTimeout(timer);
      resolve();
    };
  });
  conn.onClose = null;
  conn.onFrame = null;
  const endAt = performance.now();
  Object.assign(out, counter.summary(playAt, endAt), counter.verdict(playAt, endAt));
  if (conn.closedByPeer)
    fail('ended', `server closed the connection ${Math.round(endAt - playAt)} ms after PLAY`);

  if (conn.failure === null) {
    conn.shortenDeadline(Math.min(TEARDOWN_WAIT_MS, Math.max(0, deadlineAt - Date.now())));
    await dialog.send('TEARDOWN', playUri, sessionHeader); // best effort: the result is already decided
  }
}

async function handshake(
  target: Target,
  deadlineAt: number,
): Promise<{ result: HandshakeResult; dialog: Dialog | null; base: string }> {
  const opened = await RtspConnection.open(target.host, target.port, deadlineAt);
  if ('error' in opened) {
    return { result: failed('network', null, `connect: ${opened.error}`), dialog: null, base: '' };
  }
  const dialog = new Dialog(opened.conn, target);
  const connectMs = round(opened.connectMs);
  const end = (outcome: HandshakeOutcome, error: string) => {
    dialog.conn.close();
    return { result: { ...failed(outcome, dialog.status, error), connectMs }, dialog: null, base: '' };
  };
  const started = performance.now();
  const options = await dialog.send('OPTIONS', target.uri);
  if (!isResponse(options)) return end(...refusal(options, 'OPTIONS', dialog.conn));
  // Only refusals end the handshake at OPTIONS; some cameras answer it oddly yet DESCRIBE fine.
  if (options.status === 401 || options.status === 453 || options.status === 503) {
    return end(...refusal(options, 'OPTIONS', dialog.conn));
  }
  const describe = await dialog.send('DESCRIBE', target.uri, 'Accept: application/sdp\r\n');
  if (!isResponse(describe) || describe.status !== 200) {
    return end(...refusal(describe, 'DESCRIBE', dialog.conn));
  }
  const rtspMs = round(performance.now() - started);
  const sdp = parseSdp(describe.body.toString('utf8'));
  if (sdp === null) return end('signalling', 'DESCRIBE: no video media in the SDP');
  const location = describe.headers.get('content-location');
  const base = stripUserinfo(
    describe.headers.get('content-base') ?? (location?.includes('://') ? location : target.uri),
  );
  const result: HandshakeResult = { outcome: 'ok', status: 200, connectMs, rtspMs, sdp, error: null };
  return { result, dialog, base };
}

/**
 * Requests with authentication: a 401 is answered once (Digest preferred), and the answer reused. With an
 * AuthMemory the camera's last challenge is answered from the first request after OPTIONS; a refusal of that
 * remembered answer only means the nonce is no longer good, so the fresh challenge is taken and answered.
 */
class Dialog {
  status: number | null = null;
  private digest: DigestChallenge | null = null;
  private nc = 0;
  private basic: string | null = null;
  /** the current answer came from the memory, not from a challenge of this connection */
  private remembered = false;
  private readonly memoryKey: string;

  constructor(
    readonly conn: RtspConnection,
    private readonly target: Target,
  ) {
    this.memoryKey = AuthMemory.key(target.username, target.host, target.port);
    const known = target.authMemory?.get(this.memoryKey);
    if (known && (target.username !== null || target.password !== null)) this.adopt(known, true);
  }

  async send(method: string, uri: string, headers = ''): Promise<RtspResponse | RtspFailure> {
    const { username, password } = this.target;
    for (let attempt = 0; ; attempt++) {
      const res = await this.conn.request(method, uri, headers + this.authorization(method, uri));
      if (!isResponse(res)) return res;
      this.status = res.status;
      if (res.status !== 401 || attempt > 0 || (username === null && password === null)) return res;
      const digest = parseDigestChallenge(res.authenticate);
      const hadAnswer = !this.remembered && (this.digest !== null || this.basic !== null);
      if (digest !== null && (!hadAnswer || digest.stale)) {
        this.learn({ kind: 'digest', challenge: digest, nc: 0 });
      } else if (!hadAnswer && res.authenticate.some(offersBasic)) {
        this.learn({ kind: 'basic' });
      } else return res;
    }
  }

  private learn(auth: RememberedAuth): void {
    this.adopt(auth, false);
    this.target.authMemory?.set(this.memoryKey, auth);
  }

  private adopt(auth: RememberedAuth, remembered: boolean): void {
    this.remembered = remembered;
    if (auth.kind === 'digest') {
      this.digest = auth.challenge;
      this.nc = auth.nc;
      this.basic = null;
    } else {
      const { username, password } = this.target;
      this.basic = `Basic ${Buffer.from(`${username ?? ''}:${password ?? ''}`, 'utf8').toString('base64')}`;
      this.digest = null;
    }
  }

  private authorization(method: string, uri: string): string {
    // OPTIONS is rarely protected: a remembered answer is kept for the requests that need it
    if (this.remembered && method === 'OPTIONS') return '';
    if (this.basic !== null) return `Authorization: ${this.basic}\r\n`;
    if (this.digest === null) return '';
    const { username, password } = this.target;
    const cnonce = this.digest.qop.length > 0 ? nextCnonce() : ''; // unused without qop
    const creds = { username: username ?? '', password: password ?? '', method, uri, nc: ++this.nc, cnonce };
    const known = this.target.authMemory?.get(this.memoryKey);
    if (known?.kind === 'digest' && known.challenge === this.digest) known.nc = this.nc;
    return `Authorization: ${digestAuthorization(this.digest, creds)}\r\n`;
  }
}

/** Random client nonces, 8 bytes each, drawn from a pool refilled 128 at a time (one RNG call, not one each). */
let cnoncePool = Buffer.alloc(0);
let cnonceAt = 0;
function nextCnonce(): string {
  if (cnonceAt + 8 > cnoncePool.length) {
    cnoncePool = randomBytes(1024);
    cnonceAt = 0;
  }
  cnonceAt += 8;
  return cnoncePool.toString('hex', cnonceAt - 8, cnonceAt);
}

function failed(outcome: HandshakeOutcome, status: number | null, error: string): HandshakeResult {
  return { outcome, status, connectMs: null, rtspMs: null, sdp: null, error };
}

function streamResult(h: HandshakeResult): StreamResult {
  const zero = { frames: 0, keyframes: 0, packets: 0, bytes: 0, fps: 0, bitrateKbps: 0, firstFrameMs: null };
  return { ...h, codec: h.sdp?.codec ?? null, ...zero };
}

function redacted<T extends { error: string | null }>(result: T, target: Target): T {
  if (result.error !== null) result.error = redactSecrets(result.error, target.secrets).slice(0, 200);
  return result;
}

const is2xx = (res: RtspResponse): boolean => res.status >= 200 && res.status <= 299;

/** The outcome and error text of an exchange that did not succeed. */
function refusal(res: RtspResponse | RtspFailure, what: string, conn: RtspConnection): Verdict {
  if (isResponse(res)) {
    const text = `${what}: ${res.status} ${res.reason.slice(0, 60)}`.trim();
    if (res.status === 401) return ['auth', text];
    return [res.status === 453 || res.status === 503 ? 'session_limit' : 'signalling', text];
  }
  if (res === 'malformed') return ['signalling', `${what}: malformed response`];
  if (res === 'timeout') {
    // Bytes that never made a response are the server's fault, silence is the network's.
    return conn.received > 0
      ? ['signalling', `${what}: incomplete response before the deadline`]
      : ['network', `${what}: no response before the deadline`];
  }
  return ['network', `${what}: connection ${res} before a response`];
}

function offersBasic(value: string): boolean {
  const v = value.trimStart().toLowerCase();
  return v.startsWith('basic') || v.includes(', basic ') || v.includes(',basic ');
}

function interleavedChannel(transport: string): number {
  const at = transport.toLowerCase().indexOf('interleaved=');
  const value = at < 0 ? 0 : Number.parseInt(transport.slice(at + 12), 10);
  return Number.isInteger(value) && value >= 0 && value <= 255 ? value : 0;
}

function parseTarget(options: HandshakeOptions): Target | null {
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    return null;
  }
  if (url.protocol !== 'rtsp:' || url.hostname === '') return null;
  const rawUser = url.username;
  const rawPassword = url.password;
  const username = options.username ?? (rawUser !== '' ? percentDecode(rawUser) : null);
  const password = options.password ?? (rawPassword !== '' ? percentDecode(rawPassword) : null);
  const host = socketHost(url);
  const port = url.port === '' ? 554 : Number(url.port);
  const secrets = [password, username, rawPassword, rawUser].filter((s): s is string => !!s);
  const uri = `rtsp://${url.host}${url.pathname}${url.search}`;
  return { host, port, uri, username, password, secrets, authMemory: options.authMemory ?? null };
}

/** Decodes %XX escapes; a '%' without two hex digits after it stays literal, as URL parsing leaves it. */
function percentDecode(s: string): string {
  if (!s.includes('%')) return s;
  try {
    return decodeURIComponent(s.replace(/%(?![0-9a-fA-F]{2})/g, '%25'));
  } catch {
    return s; // not UTF-8 once decoded: used as written
  }
}
