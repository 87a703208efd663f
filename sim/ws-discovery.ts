import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { SimCameraState } from './camera-state.js';
import { probeMatches, soapParser, text } from './soap-replies.js';

/**
 * WS-Discovery responder for the simulated cameras. One UDP socket on host:3702 per distinct camera
 * address answers unicast Probes for the cameras there; with `multicastInterface`, one more socket bound
 * to 239.255.255.250:3702 joins the group on that interface and answers multicast Probes for every camera.
 * Each ProbeMatch goes in its own datagram, unicast to the prober, sent from the camera's own address.
 */

export const WSD_PORT = 3702;
export const WSD_GROUP = '239.255.255.250';
/** WS-Discovery's APP_MAX_DELAY: multicast answers are spread over a random wait up to this */
const MULTICAST_MAX_DELAY_MS = 500;

export interface DiscoverableCamera {
  readonly state: SimCameraState;
  readonly deviceUrl: string;
}

export interface SimDiscoveryOptions {
  cameras: () => Iterable<DiscoverableCamera>;
  multicastInterface?: string;
}

interface Probe {
  messageId: string;
  types: string[];
  scopes: string[];
}

/** The parts of a Probe that matter, or null for anything that is not a Probe. */
export function parseProbe(xml: string): Probe | null {
  try {
    const env = soapParser.parse(xml)?.Envelope;
    const probe = env?.Body?.Probe;
    if (probe === undefined) return null;
    const words = (v: unknown) => text(v).split(/\s+/).filter(Boolean);
    return {
      messageId: text(env?.Header?.MessageID),
      types: words(probe?.Types),
      scopes: words(probe?.Scopes),
    };
  } catch {
    return null;
  }
}

/** Types match when none are asked for or one is NetworkVideoTransmitter or Device; scopes by RFC 3986 prefix. */
export function probeMatchesCamera(probe: Probe, cam: SimCameraState): boolean {
  const locals = probe.types.map((t) => t.slice(t.indexOf(':') + 1));
  if (locals.length > 0 && !locals.some((t) => t === 'NetworkVideoTransmitter' || t === 'Device'))
    return false;
  const own = cam.scopes();
  return probe.scopes.every((s) => own.some((o) => o === s || o.startsWith(s.endsWith('/') ? s : `${s}/`)));
}

export class SimDiscovery {
  readonly #opts: SimDiscoveryOptions;
  #unicast = new Map<string, Socket>();
  #byHost = new Map<string, DiscoverableCamera[]>();
  #multicast: Socket | null = null;
  #timers = new Set<NodeJS.Timeout>();
  #messageNumber = 0;
  #chain: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(opts: SimDiscoveryOptions) {
    this.#opts = opts;
  }

  /** Opens sockets for the cameras' current addresses and closes those no camera uses any more. */
  sync(): Promise<void> {
    const run = this.#chain.then(() => this.#sync());
    this.#chain = run.catch(() => undefined);
    return run;
  }

  close(): Promise<void> {
    this.#closed = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    return this.sync();
  }

  async #sync(): Promise<void> {
    const byHost = new Map<string, DiscoverableCamera[]>();
    if (!this.#closed) {
      for (const cam of this.#opts.cameras()) {
        const list = byHost.get(cam.state.host);
        if (list) list.push(cam);
        else byHost.set(cam.state.host, [cam]);
      }
    }
    this.#byHost = byHost;
    const closing: Promise<void>[] = [];
    for (const [host, socket] of this.#unicast) {
      if (!byHost.has(host)) {
        this.#unicast.delete(host);
        closing.push(closeSocket(socket));
      }
    }
    if (this.#closed && this.#multicast) {
      closing.push(closeSocket(this.#multicast));
      this.#multicast = null;
    }
    await Promise.all(closing);
    const opening = [...byHost.keys()]
      .filter((host) => !this.#unicast.has(host))
      .map(async (host) => {
        const socket = await bindSocket(host, (msg, rinfo) => this.#onProbe(msg, rinfo, socket, host));
        this.#unicast.set(host, socket);
      });
    const iface = this.#opts.multicastInterface;
    if (iface && !this.#closed && !this.#multicast) {
      opening.push(
        (async () => {
          const socket = await bindSocket(WSD_GROUP, (msg, rinfo) => this.#onProbe(msg, rinfo, socket, null));
          socket.addMembership(WSD_GROUP, iface);
          this.#multicast = socket;
        })(),
      );
    }
    await Promise.all(opening);
  }

  /** host null: the multicast socket, answering for every camera */
  #onProbe(msg: Buffer, rinfo: RemoteInfo, via: Socket, host: string | null): void {
    const probe = parseProbe(msg.toString('utf8'));
    if (!probe) return;
    const cams = host === null ? [...this.#byHost.values()].flat() : (this.#byHost.get(host) ?? []);
    for (const cam of cams) {
      if (cam.state.faults.offline || !probeMatchesCamera(probe, cam.state)) continue;
      this.#messageNumber += 1;
      const datagram = Buffer.from(
        probeMatches(cam.state, cam.deviceUrl, probe.messageId, this.#messageNumber),
      );
      const send = () => {
        const from = host === null ? (this.#unicast.get(cam.state.host) ?? via) : via;
        from.send(datagram, rinfo.port, rinfo.address, () => undefined);
      };
      if (host !== null) {
        send();
        continue;
      }
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        if (!this.#closed) send();
      }, Math.random() * MULTICAST_MAX_DELAY_MS);
      this.#timers.add(timer);
    }
  }
}

function bindSocket(address: string, onMessage: (msg: Buffer, rinfo: RemoteInfo) => void): Promise<Socket> {
  const socket = createSocket({ type: 'udp4', reuseAddr: true });
  socket.on('message', onMessage);
  return new Promise((resolve, reject) => {
    const fail = (err: Error) => {
      socket.close();
      reject(err);
    };
    socket.once('error', fail);
    socket.bind({ port: WSD_PORT, address }, () => {
      socket.off('error', fail);
      socket.on('error', () => undefined); // a failed send to a vanished prober must not crash the county
      resolve(socket);
    });
  });
}

function closeSocket(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      socket.close(() => resolve());
    } catch {
      resolve();
    }
  });
}
