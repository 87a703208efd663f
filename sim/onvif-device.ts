import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { XMLValidator } from 'fast-xml-parser';
import type { SimCameraState } from './camera-state.js';
import * as reply from './soap-replies.js';

/**
 * One simulated camera's ONVIF device service: an HTTP server on the camera's own address answering
 * SOAP 1.2 at every /onvif/*_service path, with WS-UsernameToken and/or HTTP Digest auth, and the
 * camera-state faults applied (offline closes the listener, hangs keep sockets open, malformed breaks XML).
 */

const MAX_BODY = 1024 * 1024;
const WINDOW_MS = 5 * 60_000;
const REALM = 'IP Camera';
const SOAP_TYPE = 'application/soap+xml; charset=utf-8';
const PATHS = new Set<string>(Object.values(reply.SERVICE_PATHS));

const { asNode, text, soapParser: parser, operationNamespace } = reply;

interface Reply {
  status: number;
  body: string;
  challenge?: string;
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) resolve(null);
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const soapFault = (code: 'Sender' | 'Receiver', subcodes: string[], reason: string): Reply => ({
  status: code === 'Sender' ? 400 : 500,
  body: reply.fault(code, subcodes, reason),
});

export class SimOnvifDevice {
  readonly state: SimCameraState;
  #port: number;
  #server: Server | null = null;
  #boundHost: string | null = null;
  #sockets = new Set<Socket>();
  #chain: Promise<void> = Promise.resolve();
  #closed = false;
  #wsNonces = new Map<string, number>();
  #digestNonces = new Map<string, { expires: number; nc: number }>();

  constructor(state: SimCameraState, port: number) {
    this.state = state;
    this.#port = port;
  }

  get port(): number {
    return this.#port;
  }

  get listening(): boolean {
    return this.#server !== null;
  }

  get baseUrl(): string {
    return `http://${this.state.host}:${this.#port}`;
  }

  get deviceUrl(): string {
    return this.baseUrl + reply.SERVICE_PATHS.device;
  }

  /** Brings the listener in line with the state: closed while offline, on the current host otherwise. */
  sync(): Promise<void> {
    const run = this.#chain.then(async () => {
      const want = this.#closed || this.state.faults.offline ? null : this.state.host;
      if (this.#server && this.#boundHost !== want) await this.#stop();
      if (want !== null && !this.#server) await this.#listen(want);
    });
    this.#chain = run.catch(() => undefined);
    return run;
  }

  close(): Promise<void> {
    this.#closed = true;
    return this.sync();
  }

  async #listen(host: string): Promise<void> {
    const server = createServer((req, res) => {
      this.#handle(req, res).catch(() => res.destroy());
    });
    server.on('connection', (s: Socket) => {
      this.#sockets.add(s);
      s.on('close', () => this.#sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port: this.#port, exclusive: true }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address();
    if (addr && typeof addr === 'object') this.#port = addr.port;
    this.#server = server;
    this.#boundHost = host;
  }

  async #stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = null;
    this.#boundHost = null;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
    await closed;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.state.faults.onvifHangs) {
      req.resume(); // read and never answer; the socket stays open until the client gives up or we close
      return;
    }
    const path = (req.url ?? '').split('?')[0] ?? '';
    let out: Reply;
    if (req.method !== 'POST') out = { status: 405, body: 'POST only\n' };
    else if (!PATHS.has(path)) out = { status: 404, body: 'no such service\n' };
    else {
      const body = await readBody(req);
      out = body === null ? { status: 413, body: 'request too large\n' } : this.#reply(req, path, body);
    }
    let body = out.body;
    if (this.state.faults.malformedSoap && !out.challenge) {
      body = `${body.slice(0, Math.floor(body.length * 0.6))}<<garbled firmware reply`;
    }
    const headers: Record<string, string | number> = {
      'Content-Type': body.startsWith('<') ? SOAP_TYPE : 'text/plain',
      'Content-Length': Buffer.byteLength(body),
      Server: 'xueliang-sim',
    };
    if (out.challenge) headers['WWW-Authenticate'] = out.challenge;
    if (out.status === 413) headers.Connection = 'close';
    res.writeHead(out.status, headers);
    res.end(body);
  }

  #reply(req: IncomingMessage, path: string, xml: string): Reply {
    if (XMLValidator.validate(xml) !== true)
      return soapFault('Sender', ['ter:WellFormed'], 'not well-formed XML');
    const envelope = asNode(asNode(parser.parse(xml))?.Envelope);
    const body = asNode(envelope?.Body);
    const op = Object.keys(body ?? {}).find((k) => !k.startsWith('@_') && k !== '#text');
    if (!body || !op) return soapFault('Sender', ['ter:WellFormed'], 'no SOAP Body operation');
    const args = asNode(body[op]) ?? {};

    if (op !== 'GetSystemDateAndTime') {
      const denied = this.#authenticate(req, asNode(envelope?.Header));
      if (denied) return denied;
    }
    const cam = this.state;
    const ns = op.startsWith('Get') ? operationNamespace(xml, op) : undefined;
    const media: reply.MediaVersion =
      ns === reply.NS.tr2 || (ns !== reply.NS.trt && path === reply.SERVICE_PATHS.media2) ? 'tr2' : 'trt';
    const ok = (b: string): Reply => ({ status: 200, body: b });
    switch (op) {
      case 'GetSystemDateAndTime':
        return ok(reply.systemDateAndTime(cam));
      case 'GetDeviceInformation':
        return ok(reply.deviceInformation(cam));
      case 'GetCapabilities': {
        const category = text(args.Category) || 'All';
        const r = reply.capabilities(this.baseUrl, category);
        return r ? ok(r) : soapFault('Receiver', ['ter:ActionNotSupported', 'ter:NoSuchService'], category);
      }
      case 'GetServices':
        return ok(reply.services(this.baseUrl));
      case 'GetScopes':
        return ok(reply.scopes(cam));
      case 'GetVideoSources':
        return ok(reply.videoSources());
      case 'GetProfiles': {
        const token = media === 'tr2' ? text(args.Token) || undefined : undefined;
        const r = reply.profiles(media, token);
        return r ? ok(r) : soapFault('Sender', ['ter:InvalidArgVal', 'ter:NoProfile'], 'no such profile');
      }
      case 'GetStreamUri':
      case 'GetSnapshotUri': {
        const token = text(args.ProfileToken);
        const i = reply.PROFILES.findIndex((p) => p.token === token);
        if (i < 0) return soapFault('Sender', ['ter:InvalidArgVal', 'ter:NoProfile'], `no profile ${token}`);
        const { rtspUrls, snapshotUrl } = cam.spec;
        const uri = op === 'GetSnapshotUri' ? snapshotUrl : i === 0 ? rtspUrls.main : rtspUrls.sub;
        return ok(reply.mediaUri(media, op, uri));
      }
      case 'GetOSDs': {
        const token = text(args.ConfigurationToken) || text(args.OSDToken) || undefined;
        if (token && token !== reply.VIDEO_SOURCE_CONFIG && token !== reply.OSD_TOKEN) {
          return soapFault('Sender', ['ter:InvalidArgVal', 'ter:NoConfig'], `no configuration ${token}`);
        }
        return ok(reply.osds(media, cam.osdLabel));
      }
      default:
        return soapFault('Receiver', ['ter:ActionNotSupported'], `${op} is not supported`);
    }
  }

  /** null when the request may proceed, else the refusal to send. */
  #authenticate(req: IncomingMessage, header: reply.XmlNode | undefined): Reply | null {
    const style = this.state.spec.authStyle;
    const refuse = this.state.faults.authFails;
    const authz = req.headers.authorization;
    if (style !== 'ws-username-token' && authz?.startsWith('Digest ')) {
      return this.#digestOk(authz.slice(7), req) && !refuse ? null : this.#challenge();
    }
    if (style !== 'http-digest') {
      const token = asNode(asNode(header?.Security)?.UsernameToken);
      if (token || style === 'ws-username-token') {
        if (token && this.#usernameTokenOk(token) && !refuse) return null;
        return soapFault('Sender', ['ter:NotAuthorized'], 'Sender not Authorized');
      }
    }
    return this.#challenge();
  }

  #challenge(): Reply {
    const nonce = randomBytes(16).toString('hex');
    if (this.#digestNonces.size >= 512) {
      const oldest = this.#digestNonces.keys().next().value;
      if (oldest !== undefined) this.#digestNonces.delete(oldest);
    }
    this.#digestNonces.set(nonce, { expires: Date.now() + WINDOW_MS, nc: 0 });
    return {
      status: 401,
      body: reply.fault('Sender', ['ter:NotAuthorized'], 'Sender not Authorized'),
      challenge: `Digest realm="${REALM}", qop="auth", nonce="${nonce}", algorithm=MD5, stale=FALSE`,
    };
  }

  #digestOk(params: string, req: IncomingMessage): boolean {
    const p = new Map<string, string>();
    for (const m of params.matchAll(/(\w+)\s*=\s*(?:"([^"]*)"|([^\s,]*))/g)) {
      if (m[1]) p.set(m[1].toLowerCase(), m[2] ?? m[3] ?? '');
    }
    const { username, password } = this.state.spec.credentials;
    const [nonce, nc, cnonce, response] = [p.get('nonce'), p.get('nc'), p.get('cnonce'), p.get('response')];
    const algorithm = p.get('algorithm');
    if (p.get('username') !== username || p.get('realm') !== REALM || p.get('uri') !== req.url) return false;
    if ((algorithm && algorithm.toUpperCase() !== 'MD5') || p.get('qop') !== 'auth') return false;
    if (!nonce || !nc || !cnonce || !response) return false;
    const entry = this.#digestNonces.get(nonce);
    const count = Number.parseInt(nc, 16);
    if (!entry || entry.expires < Date.now() || !(count > entry.nc)) return false;
    const ha1 = md5(`${username}:${REALM}:${password}`);
    const ha2 = md5(`${req.method}:${req.url}`);
    if (!safeEqual(md5(`${ha1}:${nonce}:${nc}:${cnonce}:auth:${ha2}`), response.toLowerCase())) return false;
    entry.nc = count;
    return true;
  }

  /** WS-Security UsernameToken with PasswordDigest = Base64(SHA1(nonce + created + password)). */
  #usernameTokenOk(token: reply.XmlNode): boolean {
    const { username, password } = this.state.spec.credentials;
    const pw = token.Password;
    const [nonce, created] = [text(token.Nonce), text(token.Created)];
    if (text(token.Username) !== username || !nonce || !created) return false;
    if (!String(asNode(pw)?.['@_Type'] ?? '').endsWith('#PasswordDigest')) return false;
    const createdMs = Date.parse(created);
    const camNow = this.state.now().getTime();
    if (Number.isNaN(createdMs) || Math.abs(camNow - createdMs) > WINDOW_MS) return false;
    const digest = createHash('sha1')
      .update(Buffer.concat([Buffer.from(nonce, 'base64'), Buffer.from(created), Buffer.from(password)]))
      .digest('base64');
    if (!safeEqual(digest, text(pw))) return false;
    const now = Date.now();
    if (this.#wsNonces.size > 4096) {
      for (const [n, exp] of this.#wsNonces)
        if (exp < now || this.#wsNonces.size > 4096) this.#wsNonces.delete(n);
    }
    if ((this.#wsNonces.get(nonce) ?? 0) > now) return false; // replay inside the window
    this.#wsNonces.set(nonce, now + 2 * WINDOW_MS);
    return true;
  }
}
