import { XMLParser } from 'fast-xml-parser';

/** WS-Discovery (2005/04) Probe and ProbeMatch, as ONVIF devices use them (port 3702). */

const NVT = 'dn:NetworkVideoTransmitter';

export function buildProbe(messageId: string): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"',
    ' xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing"',
    ' xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery"',
    ' xmlns:dn="http://www.onvif.org/ver10/network/wsdl">',
    '<s:Header>',
    `<a:MessageID>${messageId}</a:MessageID>`,
    '<a:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To>',
    '<a:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</a:Action>',
    '</s:Header>',
    `<s:Body><d:Probe><d:Types>${NVT}</d:Types></d:Probe></s:Body>`,
    '</s:Envelope>',
  ].join('');
}

export interface ProbeMatch {
  endpointRef: string;
  /** device service URLs the device announces */
  xaddrs: string[];
  scopes: string[];
  types: string[];
  relatesTo: string | null;
}

const parser = new XMLParser({
  removeNSPrefix: true,
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: true,
});

function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && '#text' in value)
    return String((value as { '#text': unknown })['#text']);
  return '';
}

const words = (value: unknown) => text(value).split(/\s+/).filter(Boolean);

/** The ProbeMatches of one datagram; [] for anything that is not a well-formed ProbeMatches message. */
export function parseProbeMatches(xml: string): ProbeMatch[] {
  let doc: Record<string, unknown>;
  try {
    doc = parser.parse(xml) as Record<string, unknown>;
  } catch {
    return [];
  }
  const envelope = doc.Envelope as Record<string, Record<string, unknown>> | undefined;
  const matches = (envelope?.Body?.ProbeMatches as Record<string, unknown> | undefined)?.ProbeMatch;
  if (!matches) return [];
  const relatesTo = text(envelope?.Header?.RelatesTo) || null;
  const list = (Array.isArray(matches) ? matches : [matches]) as Record<string, unknown>[];
  return list.flatMap((m) => {
    const endpointRef = text((m.EndpointReference as Record<string, unknown> | undefined)?.Address);
    const xaddrs = words(m.XAddrs).filter((x) => /^https?:\/\//.test(x));
    if (!endpointRef || xaddrs.length === 0) return [];
    return [{ endpointRef, xaddrs, scopes: words(m.Scopes), types: words(m.Types), relatesTo }];
  });
}
