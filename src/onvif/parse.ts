/**
 * Pure parsers: ONVIF reply XML → typed results. Namespace-prefix agnostic (prefixes are dropped, so
 * tds:/trt:/tt:/ns1:/default-namespace replies read the same). Throws ReplyError: `fault` set when the
 * reply is a SOAP Fault, else the reply is not XML or lacks the expected elements.
 */

import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { ClockReading, DeviceInformation, MediaProfile, OsdText, ServiceAddresses } from './types.js';

type Node = Record<string, unknown>;

export interface SoapFault {
  /** e.g. 'env:Sender' (SOAP 1.2 Code/Value, or SOAP 1.1 faultcode) */
  code: string;
  /** Subcode values, outermost first, e.g. ['ter:NotAuthorized'] */
  subcodes: string[];
  reason: string;
  /** the text inside Detail, flattened, if any */
  detail: string | null;
}

export interface SoapDocument {
  /** the children of soap:Body, prefixes removed */
  body: Node;
  fault: SoapFault | null;
}

export class ReplyError extends Error {
  constructor(
    message: string,
    readonly fault: SoapFault | null = null,
  ) {
    super(message);
    this.name = 'ReplyError';
  }
}

const parser = new XMLParser({
  removeNSPrefix: true,
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  jPath: false, // no callbacks use paths; skipping them parses ~40% faster
});

function isNode(v: unknown): v is Node {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function all(parent: unknown, name: string): unknown[] {
  if (!isNode(parent)) return [];
  const v = parent[name];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

function one(parent: unknown, name: string): unknown {
  return all(parent, name)[0];
}

/** Follows a path of element names, taking the first element at each step. */
function at(parent: unknown, ...path: string[]): unknown {
  let cur = parent;
  for (const name of path) cur = one(cur, name);
  return cur;
}

function text(v: unknown): string | null {
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v).trim();
  if (isNode(v) && v['#text'] !== undefined) return String(v['#text']).trim();
  if (isNode(v)) return '';
  return null;
}

function attr(node: unknown, name: string): string | null {
  const v = isNode(node) ? node[`@_${name}`] : undefined;
  return typeof v === 'string' ? v : null;
}

function required(parent: unknown, path: string[], where: string): string {
  const v = text(at(parent, ...path));
  if (v === null || v === '') throw new ReplyError(`${where} has no ${path.join('/')}`);
  return v;
}

function optional(parent: unknown, ...path: string[]): string | null {
  const v = text(at(parent, ...path));
  return v === null || v === '' ? null : v;
}

function flatten(v: unknown, out: string[] = []): string[] {
  if (Array.isArray(v)) for (const x of v) flatten(x, out);
  else if (isNode(v)) for (const [k, x] of Object.entries(v)) k.startsWith('@_') || flatten(x, out);
  else if (v !== undefined && v !== null && String(v).trim() !== '') out.push(String(v).trim());
  return out;
}

function faultOf(body: Node): SoapFault | null {
  const f = one(body, 'Fault');
  if (f === undefined) return null;
  const subcodes: string[] = [];
  for (let sub = at(f, 'Code', 'Subcode'); sub !== undefined; sub = one(sub, 'Subcode')) {
    const v = optional(sub, 'Value');
    if (v) subcodes.push(v);
  }
  const reasons = all(one(f, 'Reason'), 'Text');
  const english = reasons.find((r) => (attr(r, 'lang') ?? '').toLowerCase().startsWith('en')) ?? reasons[0];
  const detail = flatten(one(f, 'Detail') ?? one(f, 'detail')).join(' ');
  return {
    code: optional(f, 'Code', 'Value') ?? optional(f, 'faultcode') ?? '',
    subcodes,
    reason: text(english) ?? optional(f, 'faultstring') ?? '',
    detail: detail === '' ? null : detail,
  };
}

/** XML → the SOAP body; throws ReplyError for anything that is not a SOAP envelope. */
export function parseSoap(reply: string): SoapDocument {
  const xml = reply.replace(/^\uFEFF/, '').trim();
  if (/<!DOCTYPE/i.test(xml)) throw new ReplyError('reply carries a DTD, which SOAP forbids');
  const valid = XMLValidator.validate(xml);
  if (valid !== true)
    throw new ReplyError(`reply is not well-formed XML (line ${valid.err.line}: ${valid.err.msg})`);
  const root: unknown = parser.parse(xml);
  const envelope = one(root, 'Envelope');
  if (!isNode(envelope)) throw new ReplyError('reply is not a SOAP envelope');
  const body = one(envelope, 'Body');
  if (body === undefined) throw new ReplyError('SOAP envelope has no Body');
  const node = isNode(body) ? body : {};
  return { body: node, fault: faultOf(node) };
}

/** The named response element of a reply; a Fault throws with the fault attached. */
function responseOf(input: string | SoapDocument, name: string): Node {
  const doc = typeof input === 'string' ? parseSoap(input) : input;
  if (doc.fault) throw new ReplyError(`SOAP fault: ${doc.fault.reason}`, doc.fault);
  const r = one(doc.body, name);
  if (r === undefined) throw new ReplyError(`reply has no ${name}`);
  return isNode(r) ? r : {};
}

export function parseDeviceInformation(input: string | SoapDocument): DeviceInformation {
  const r = responseOf(input, 'GetDeviceInformationResponse');
  const where = 'GetDeviceInformationResponse';
  return {
    manufacturer: required(r, ['Manufacturer'], where),
    model: required(r, ['Model'], where),
    firmwareVersion: optional(r, 'FirmwareVersion') ?? '',
    serialNumber: optional(r, 'SerialNumber') ?? '',
    hardwareId: optional(r, 'HardwareId') ?? '',
  };
}

export function parseCapabilities(input: string | SoapDocument): ServiceAddresses {
  const caps = one(responseOf(input, 'GetCapabilitiesResponse'), 'Capabilities');
  if (caps === undefined) throw new ReplyError('GetCapabilitiesResponse has no Capabilities');
  return {
    device: required(caps, ['Device', 'XAddr'], 'Capabilities'),
    media: optional(caps, 'Media', 'XAddr'),
    media2: null, // Media2 is announced by GetServices only
    events: optional(caps, 'Events', 'XAddr'),
    imaging: optional(caps, 'Imaging', 'XAddr'),
  };
}

const SERVICE_NAMESPACES: Record<string, keyof ServiceAddresses> = {
  'http://www.onvif.org/ver10/device/wsdl': 'device',
  'http://www.onvif.org/ver10/media/wsdl': 'media',
  'http://www.onvif.org/ver20/media/wsdl': 'media2',
  'http://www.onvif.org/ver10/events/wsdl': 'events',
  'http://www.onvif.org/ver20/imaging/wsdl': 'imaging',
};

export function parseServices(input: string | SoapDocument): ServiceAddresses {
  const out: ServiceAddresses = { device: '', media: null, media2: null, events: null, imaging: null };
  for (const s of all(responseOf(input, 'GetServicesResponse'), 'Service')) {
    const key = SERVICE_NAMESPACES[optional(s, 'Namespace') ?? ''];
    const xaddr = optional(s, 'XAddr');
    if (key && xaddr && (out[key] === null || out[key] === '')) out[key] = xaddr;
  }
  if (out.device === '') throw new ReplyError('GetServicesResponse lists no device service');
  return out;
}

function dimension(v: string | null): number | null {
  if (v === null || !/^\d+$/.test(v)) return null;
  return Number(v);
}

export function parseProfiles(input: string | SoapDocument): MediaProfile[] {
  return all(responseOf(input, 'GetProfilesResponse'), 'Profiles').map((p) => {
    const token = attr(p, 'token');
    if (!token) throw new ReplyError('a profile has no token');
    const encoder = one(p, 'VideoEncoderConfiguration');
    return {
      token,
      name: optional(p, 'Name') ?? token,
      encoding: optional(encoder, 'Encoding'),
      width: dimension(optional(encoder, 'Resolution', 'Width')),
      height: dimension(optional(encoder, 'Resolution', 'Height')),
      videoSourceConfigurationToken: attr(one(p, 'VideoSourceConfiguration'), 'token'),
    };
  });
}

export function parseStreamUri(input: string | SoapDocument): string {
  return required(responseOf(input, 'GetStreamUriResponse'), ['MediaUri', 'Uri'], 'GetStreamUriResponse');
}

export function parseSnapshotUri(input: string | SoapDocument): string {
  return required(responseOf(input, 'GetSnapshotUriResponse'), ['MediaUri', 'Uri'], 'GetSnapshotUriResponse');
}

function int(node: unknown, path: string[], min: number, max: number): number {
  const raw = required(node, path, 'SystemDateAndTime');
  const n = /^\d{1,4}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(n >= min && n <= max)) throw new ReplyError(`SystemDateAndTime has an invalid ${path.join('/')}`);
  return n;
}

/** A tt:DateTime as if it were UTC, in milliseconds; throws for impossible dates. */
function dateTimeMs(node: unknown): number {
  const y = int(node, ['Date', 'Year'], 1970, 9999);
  const mo = int(node, ['Date', 'Month'], 1, 12);
  const d = int(node, ['Date', 'Day'], 1, 31);
  const ms = Date.UTC(
    y,
    mo - 1,
    d,
    int(node, ['Time', 'Hour'], 0, 23),
    int(node, ['Time', 'Minute'], 0, 59),
    int(node, ['Time', 'Second'], 0, 60),
  );
  if (new Date(Date.UTC(y, mo - 1, d)).getUTCDate() !== d)
    throw new ReplyError('SystemDateAndTime has an invalid Date');
  return ms;
}

const POSIX_TZ =
  /^(?:<[^>]+>|[A-Za-z]{3,})([+-]?\d{1,2}(?::\d{1,2}){0,2})(?:(<[^>]+>|[A-Za-z]{3,})([+-]?\d{1,2}(?::\d{1,2}){0,2})?)?(?:,.*)?$/;

function posixOffsetSeconds(s: string): number {
  const sign = s.startsWith('-') ? -1 : 1;
  const [h = 0, m = 0, sec = 0] = s.replace(/^[+-]/, '').split(':').map(Number);
  return sign * (h * 3600 + m * 60 + sec);
}

/**
 * POSIX TZ (ONVIF's tt:TimeZone/TZ, e.g. 'CST-8' for China): seconds to ADD to local time to get UTC
 * (POSIX offsets count west of Greenwich). With `dst`, the DST offset applies (default: one hour less).
 */
export function utcOffsetFromPosixTz(tz: string, dst: boolean): number | null {
  const m = POSIX_TZ.exec(tz.trim());
  if (!m?.[1]) return null;
  const std = posixOffsetSeconds(m[1]);
  if (!dst || !m[2]) return std;
  return m[3] ? posixOffsetSeconds(m[3]) : std - 3600;
}

/** The camera's clock; offset = camera minus `receivedAt` (the local time the reply arrived). */
export function parseSystemDateAndTime(input: string | SoapDocument, receivedAt: Date): ClockReading {
  const sdt = one(responseOf(input, 'GetSystemDateAndTimeResponse'), 'SystemDateAndTime');
  if (sdt === undefined) throw new ReplyError('GetSystemDateAndTimeResponse has no SystemDateAndTime');
  let ms: number;
  const utc = one(sdt, 'UTCDateTime');
  if (utc !== undefined) {
    ms = dateTimeMs(utc);
  } else {
    const local = one(sdt, 'LocalDateTime');
    const tz = optional(sdt, 'TimeZone', 'TZ');
    if (local === undefined)
      throw new ReplyError('SystemDateAndTime has neither UTCDateTime nor LocalDateTime');
    const offset = tz === null ? null : utcOffsetFromPosixTz(tz, optional(sdt, 'DaylightSavings') === 'true');
    if (offset === null)
      throw new ReplyError('SystemDateAndTime has LocalDateTime without a usable TimeZone');
    ms = dateTimeMs(local) + offset * 1000;
  }
  return {
    cameraTime: new Date(ms),
    offsetSeconds: (ms - receivedAt.getTime()) / 1000,
    dateTimeType: optional(sdt, 'DateTimeType'),
  };
}

/** Plain-text OSDs only (tt:OSDConfiguration with Type Text and TextString/Type Plain). */
export function parseOsds(input: string | SoapDocument): OsdText[] {
  const out: OsdText[] = [];
  for (const o of all(responseOf(input, 'GetOSDsResponse'), 'OSDs')) {
    if (optional(o, 'Type') !== 'Text' || optional(o, 'TextString', 'Type') !== 'Plain') continue;
    const token = attr(o, 'token');
    if (!token) throw new ReplyError('an OSD has no token');
    out.push({ token, text: optional(o, 'TextString', 'PlainText') ?? '' });
  }
  return out;
}
