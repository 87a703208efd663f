import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { promisify } from 'node:util';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSimCameraSpecs } from '../../sim/camera-state.js';
import { type SimCameraHandle, type SimCounty, startSimCounty } from '../../sim/county.js';

/** WS-Discovery of the simulated cameras: unicast on 127.42.x.y here, multicast only in a private netns. */

const parser = new XMLParser({ removeNSPrefix: true, parseTagValue: false });

interface Match {
  endpoint: string;
  xaddrs: string;
  relatesTo: string;
  types: string;
  scopes: string;
  metadataVersion: string;
  from: string;
}

function probe(messageId: string, types = 'dn:NetworkVideoTransmitter', scopes = ''): Buffer {
  return Buffer.from(
    '<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" ' +
      'xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" ' +
      'xmlns:dn="http://www.onvif.org/ver10/network/wsdl" xmlns:tds="http://www.onvif.org/ver10/device/wsdl">' +
      `<s:Header><a:MessageID>${messageId}</a:MessageID><a:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To>` +
      '<a:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</a:Action></s:Header>' +
      `<s:Body><d:Probe><d:Types>${types}</d:Types><d:Scopes>${scopes}</d:Scopes></d:Probe></s:Body></s:Envelope>`,
  );
}

/** Sends one unicast Probe to host:3702 and collects ProbeMatches for `ms`. */
async function unicastProbe(host: string, opts: { types?: string; scopes?: string; ms?: number } = {}) {
  const socket = createSocket('udp4');
  const messageId = `urn:uuid:${randomUUID()}`;
  const matches: Match[] = [];
  socket.on('message', (msg, rinfo) => {
    const env = parser.parse(msg.toString('utf8'))?.Envelope;
    const m = env?.Body?.ProbeMatches?.ProbeMatch;
    if (!m) return;
    matches.push({
      endpoint: m.EndpointReference?.Address,
      xaddrs: m.XAddrs,
      relatesTo: env.Header?.RelatesTo,
      types: m.Types,
      scopes: m.Scopes,
      metadataVersion: m.MetadataVersion,
      from: rinfo.address,
    });
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  await new Promise<void>((resolve, reject) =>
    socket.send(probe(messageId, opts.types, opts.scopes), 3702, host, (e) => (e ? reject(e) : resolve())),
  );
  await new Promise((r) => setTimeout(r, opts.ms ?? 300));
  socket.close();
  return { messageId, matches };
}

let county: SimCounty;
const cam = (i: number) => county.cameras[i] as SimCameraHandle;

beforeAll(async () => {
  const own = generateSimCameraSpecs({ count: 3, base: '127.42.0.1' });
  const shared = generateSimCameraSpecs({ count: 3, base: '127.42.1.1', shareHost: true }).map((s, i) => ({
    ...s,
    id: `shared-${i}`,
    location: '城关镇',
  }));
  county = await startSimCounty({ cameras: [...own, ...shared] });
});
afterAll(async () => {
  await county?.close();
});

describe('unicast Probe', () => {
  it('a camera on its own address answers with its endpoint, XAddrs, scopes and RelatesTo', async () => {
    const c = cam(0);
    const { messageId, matches } = await unicastProbe(c.host);
    expect(matches).toHaveLength(1);
    expect(matches[0]).toMatchObject({
      endpoint: c.state.endpointReference,
      xaddrs: c.deviceUrl,
      relatesTo: messageId,
      types: 'dn:NetworkVideoTransmitter tds:Device',
      metadataVersion: '1',
      from: c.host,
    });
    expect(matches[0]?.scopes.split(' ')).toEqual(expect.arrayContaining(c.state.scopes()));
  });

  it('cameras sharing an address each answer in their own datagram', async () => {
    const { matches } = await unicastProbe('127.42.1.1', { types: 'tds:Device' });
    expect(matches.map((m) => m.xaddrs).sort()).toEqual(
      [cam(3), cam(4), cam(5)].map((c) => c.deviceUrl).sort(),
    );
    expect(new Set(matches.map((m) => m.endpoint)).size).toBe(3);
  });

  it('no answer to other Types or to scopes the camera lacks', async () => {
    expect((await unicastProbe(cam(1).host, { types: 'dn:Printer' })).matches).toHaveLength(0);
    const here = encodeURIComponent('城关镇');
    const located = await unicastProbe('127.42.1.1', { scopes: `onvif://www.onvif.org/location/${here}` });
    expect(located.matches).toHaveLength(3);
    const elsewhere = await unicastProbe('127.42.1.1', {
      scopes: 'onvif://www.onvif.org/location/elsewhere',
    });
    expect(elsewhere.matches).toHaveLength(0);
  });

  it('an offline camera stays silent until it is back', async () => {
    const c = cam(1);
    await c.setFaults({ offline: true });
    expect((await unicastProbe(c.host)).matches).toHaveLength(0);
    await c.resetFaults();
    expect((await unicastProbe(c.host)).matches).toHaveLength(1);
  });

  it('a moved camera answers at its new address with new XAddrs and a new MetadataVersion', async () => {
    const c = cam(2);
    const old = c.host;
    await c.setIdentity({ host: '127.42.0.99' });
    expect((await unicastProbe(old)).matches).toHaveLength(0);
    const { matches } = await unicastProbe('127.42.0.99');
    expect(matches[0]).toMatchObject({
      xaddrs: 'http://127.42.0.99:80/onvif/device_service',
      metadataVersion: '2',
    });
  });
});

describe('multicast Probe in a private network namespace', () => {
  interface Found {
    endpoint: string;
    xaddrs: string;
    relatesTo?: string;
  }
  interface Report {
    cameras: { endpoint: string; xaddrs: string }[];
    raw: { messageId: string; found: Found[] };
    viaOnvif: Found[];
  }

  async function inNamespace(mode: 'shared' | 'per-address'): Promise<Report> {
    const script =
      'ip link set lo up && ip link set lo multicast on && ip route add 224.0.0.0/4 dev lo && ' +
      `exec npx tsx test/fixtures/sim-multicast-probe.ts ${mode}`;
    const { stdout } = await promisify(execFile)('unshare', ['-n', 'sh', '-c', script], {
      cwd: process.cwd(),
      timeout: 30_000,
    });
    const line = stdout.trim().split('\n').at(-1) ?? '';
    return JSON.parse(line) as Report;
  }

  const pairs = (list: Found[]) => list.map((f) => `${f.endpoint} ${f.xaddrs}`).sort();

  it.each(['shared', 'per-address'] as const)(
    'five cameras (%s) answer one Probe and the onvif package finds them',
    async (mode) => {
      const report = await inNamespace(mode);
      const expected = pairs(report.cameras);
      expect(new Set(report.cameras.map((c) => c.endpoint)).size).toBe(5);
      expect(pairs(report.raw.found)).toEqual(expected);
      for (const f of report.raw.found) expect(f.relatesTo).toBe(report.raw.messageId);
      expect(pairs(report.viaOnvif)).toEqual(expected);
    },
  );
});
