import { describe, expect, it } from 'vitest';
import { expandCidrs } from '../../src/discovery/cidr.js';
import { type FoundDevice, type RegisteredCamera, reconcile } from '../../src/discovery/reconcile.js';
import { buildProbe, parseProbeMatches } from '../../src/discovery/ws-discovery-messages.js';

describe('CIDR ranges to scan', () => {
  it('a /22 is 1,022 hosts without network and broadcast', () => {
    const r = expandCidrs(['127.20.0.0/22']);
    expect(r.ok && r.addresses.length).toBe(1022);
    expect(r.ok && [r.addresses[0], r.addresses.at(-1)]).toEqual(['127.20.0.1', '127.20.3.254']);
  });

  it('a /32 and a /31 keep every address; overlaps are scanned once', () => {
    const r = expandCidrs(['10.0.0.5/32', '10.0.0.4/31', '10.0.0.0/29']);
    expect(r.ok && r.addresses).toEqual([
      '10.0.0.5',
      '10.0.0.4',
      '10.0.0.1',
      '10.0.0.2',
      '10.0.0.3',
      '10.0.0.6',
    ]);
  });

  it('a host address with bits below the prefix is aligned to its network', () => {
    const r = expandCidrs(['192.168.7.77/30']);
    expect(r.ok && r.addresses).toEqual(['192.168.7.77', '192.168.7.78']);
  });

  it.each([
    [['10.0.0.0/8'], 0, /more than 65536/],
    [['10.0.0.0/24', 'nonsense'], 1, /not a CIDR/],
    [['fe80::/120'], 0, /only IPv4/],
    [['10.0.0.0/33'], 0, /not a CIDR/],
  ])('%o is refused at index %i', (cidrs, index, reason) => {
    const r = expandCidrs(cidrs);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.index).toBe(index);
      expect(r.reason).toMatch(reason);
    }
  });
});

describe('WS-Discovery messages', () => {
  it('a probe asks for network video transmitters with its message id', () => {
    const xml = buildProbe('urn:uuid:1234');
    expect(xml).toContain('<a:MessageID>urn:uuid:1234</a:MessageID>');
    expect(xml).toContain('dn:NetworkVideoTransmitter');
  });

  const match = (prefix: string, body: string) => `<?xml version="1.0"?>
<${prefix}:Envelope xmlns:${prefix}="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery">
<${prefix}:Header><wsa:RelatesTo>urn:uuid:1234</wsa:RelatesTo></${prefix}:Header>
<${prefix}:Body><d:ProbeMatches>${body}</d:ProbeMatches></${prefix}:Body></${prefix}:Envelope>`;
  const one = (ref: string, xaddrs: string) =>
    `<d:ProbeMatch><wsa:EndpointReference><wsa:Address>${ref}</wsa:Address></wsa:EndpointReference>
     <d:Types>dn:NetworkVideoTransmitter tds:Device</d:Types>
     <d:Scopes>onvif://www.onvif.org/type/video_encoder onvif://www.onvif.org/name/DS-2CD2143G2-I</d:Scopes>
     <d:XAddrs>${xaddrs}</d:XAddrs><d:MetadataVersion>1</d:MetadataVersion></d:ProbeMatch>`;

  it('reads endpoint reference, device URLs, scopes and RelatesTo, whatever the prefixes', () => {
    for (const prefix of ['SOAP-ENV', 's', 'env']) {
      const [m] = parseProbeMatches(
        match(
          prefix,
          one(
            'urn:uuid:aaaa',
            'http://10.64.1.11/onvif/device_service http://[fe80::1]/onvif/device_service',
          ),
        ),
      );
      expect(m).toEqual({
        endpointRef: 'urn:uuid:aaaa',
        xaddrs: ['http://10.64.1.11/onvif/device_service', 'http://[fe80::1]/onvif/device_service'],
        scopes: ['onvif://www.onvif.org/type/video_encoder', 'onvif://www.onvif.org/name/DS-2CD2143G2-I'],
        types: ['dn:NetworkVideoTransmitter', 'tds:Device'],
        relatesTo: 'urn:uuid:1234',
      });
    }
  });

  it('several matches in one message; junk yields nothing', () => {
    expect(
      parseProbeMatches(match('s', one('urn:a', 'http://a/x') + one('urn:b', 'http://b/x'))),
    ).toHaveLength(2);
    expect(parseProbeMatches('<not xml')).toEqual([]);
    expect(parseProbeMatches('<a>b</a>')).toEqual([]);
    expect(parseProbeMatches(match('s', one('urn:a', 'ftp://nope')))).toEqual([]);
  });
});

describe('reconciling a scan with the registry', () => {
  const cams: RegisteredCamera[] = [
    { id: 'c1', ip: '10.0.0.1', endpointRef: 'urn:1', serialNumber: 'S1' },
    { id: 'c2', ip: '10.0.0.2', endpointRef: 'urn:2', serialNumber: 'S2' },
    { id: 'c3', ip: '10.0.0.3', endpointRef: null, serialNumber: 'S3' },
    { id: 'c4', ip: '10.0.0.4', endpointRef: null, serialNumber: null },
    { id: 'c5', ip: '10.9.0.5', endpointRef: 'urn:5', serialNumber: 'S5' },
  ];
  const dev = (address: string, endpointRef: string | null, serialNumber: string | null): FoundDevice => ({
    address,
    deviceUrl: `http://${address}/onvif/device_service`,
    endpointRef,
    serialNumber,
  });
  const scanned = new Set([
    '10.0.0.1',
    '10.0.0.2',
    '10.0.0.3',
    '10.0.0.4',
    '10.0.0.7',
    '10.0.0.8',
    '10.0.0.9',
  ]);

  it('tells known, moved, swapped, new and missing apart', () => {
    const result = reconcile(
      cams,
      [
        dev('10.0.0.1', 'urn:1', 'S1'), // known
        dev('10.0.0.7', 'urn:2', 'S2'), // c2 moved from .2 to .7
        dev('10.0.0.3', null, 'S3-NEW'), // c3's address answers with another serial
        dev('10.0.0.4', 'urn:4', 'S4'), // c4 had nothing stored: known at its address
        dev('10.0.0.8', null, 'S5'), // c5 identified by serial, at a new address
        dev('10.0.0.9', 'urn:9', null), // new
      ],
      scanned,
    );
    expect(result.map((r) => [r.match, 'cameraId' in r ? r.cameraId : r.device.address])).toEqual([
      ['known', 'c1'],
      ['moved', 'c2'],
      ['serial_changed', 'c3'],
      ['known', 'c4'],
      ['moved', 'c5'],
      ['new', '10.0.0.9'],
    ]);
    expect(result[1]).toMatchObject({ previousAddress: '10.0.0.2' });
    expect(result[2]).toMatchObject({ previousSerial: 'S3' });
  });

  it('a registered camera in range that did not answer is missing; one out of range is not', () => {
    const result = reconcile(cams, [dev('10.0.0.1', 'urn:1', 'S1')], scanned);
    expect(result.filter((r) => r.match === 'missing').map((r) => 'cameraId' in r && r.cameraId)).toEqual([
      'c2',
      'c3',
      'c4',
    ]);
  });

  it('multicast scans (no address list) report nothing missing', () => {
    expect(reconcile(cams, [], null)).toEqual([]);
  });

  it('another endpoint reference at a registered address, serial unknown, is flagged as a swap', () => {
    const [r] = reconcile(cams, [dev('10.0.0.2', 'urn:other', null)], null);
    expect(r?.match).toBe('serial_changed');
  });
});
