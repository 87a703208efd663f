import { randomUUID } from 'node:crypto';
import dgram from 'node:dgram';
import { buildProbe, type ProbeMatch, parseProbeMatches } from './ws-discovery-messages.js';

export interface ScannedDevice {
  address: string;
  deviceUrl: string | null;
  endpointRef: string | null;
  scopes: string[];
  /** how it answered: a unicast WS-Discovery probe, or the ONVIF device service on a port */
  via: 'ws-discovery' | 'http';
}

export interface UnicastScanOptions {
  addresses: readonly string[];
  /** ONVIF HTTP ports tried when WS-Discovery is silent (some cameras have discovery switched off) */
  ports: readonly number[];
  concurrency: number;
  probeTimeoutMs: number;
  signal?: AbortSignal;
  onProgress?: (done: number, found: number) => void;
  /** does an ONVIF device service answer at this URL? (GetSystemDateAndTime, no credentials needed) */
  isOnvifService: (deviceUrl: string) => Promise<boolean>;
}

const WS_DISCOVERY_PORT = 3702;

/** One unicast Probe to address:3702 on a connected socket, so a host without a responder fails fast. */
function probeOne(address: string, timeoutMs: number, signal?: AbortSignal): Promise<ProbeMatch | null> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    const messageId = `urn:uuid:${randomUUID()}`;
    let settled = false;
    const finish = (match: ProbeMatch | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.close();
      resolve(match);
    };
    const onAbort = () => finish(null);
    const timer = setTimeout(() => finish(null), timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.on('error', () => finish(null));
    socket.on('message', (msg) => {
      const match = parseProbeMatches(msg.toString('utf8')).find(
        (m) => !m.relatesTo || m.relatesTo === messageId,
      );
      if (match) finish(match);
    });
    socket.connect(WS_DISCOVERY_PORT, address, () => {
      socket.send(buildProbe(messageId), (err) => {
        if (err) finish(null);
      });
    });
  });
}

/** The announced device URL that points at the address we probed, else the first one. */
function pickXaddr(xaddrs: readonly string[], address: string): string | null {
  return xaddrs.find((x) => new URL(x).hostname === address) ?? xaddrs[0] ?? null;
}

async function scanAddress(address: string, o: UnicastScanOptions): Promise<ScannedDevice | null> {
  const match = await probeOne(address, o.probeTimeoutMs, o.signal);
  if (match) {
    return {
      address,
      deviceUrl: pickXaddr(match.xaddrs, address),
      endpointRef: match.endpointRef,
      scopes: match.scopes,
      via: 'ws-discovery',
    };
  }
  for (const port of o.ports) {
    if (o.signal?.aborted) return null;
    const deviceUrl = `http://${address}${port === 80 ? '' : `:${port}`}/onvif/device_service`;
    if (await o.isOnvifService(deviceUrl))
      return { address, deviceUrl, endpointRef: null, scopes: [], via: 'http' };
  }
  return null;
}

/**
 * Probes every address with bounded concurrency. Stops early (returning what it found so far) when the signal
 * aborts. Never throws for a host that is down, slow or answering nonsense: that host is simply not found.
 */
export async function scanUnicast(o: UnicastScanOptions): Promise<ScannedDevice[]> {
  const found: ScannedDevice[] = [];
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < o.addresses.length && !o.signal?.aborted) {
      const address = o.addresses[next++] as string;
      const device = await scanAddress(address, o).catch(() => null);
      if (device) found.push(device);
      done++;
      o.onProgress?.(done, found.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(o.concurrency, o.addresses.length)) }, worker));
  return found.sort((a, b) => compareAddresses(a.address, b.address));
}

function compareAddresses(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 4; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
