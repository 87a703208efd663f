import { randomUUID } from 'node:crypto';
import { XMLParser } from 'fast-xml-parser';
import type { SimCameraState } from './camera-state.js';

/**
 * SOAP 1.2 reply envelopes of a simulated camera, shaped after ONVIF Core / Media / Media2 and WS-Discovery,
 * and the few helpers that read its requests.
 */

/** Reads requests: prefixes dropped, attributes as '@_name', every value kept as a string. */
export const soapParser = new XMLParser({
  removeNSPrefix: true,
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
});

export type XmlNode = Record<string, unknown>;

export function asNode(v: unknown): XmlNode | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as XmlNode) : undefined;
}

/** The trimmed text of an element, whether it came out as a string or as { '#text' } beside attributes. */
export function text(v: unknown): string {
  if (typeof v === 'string') return v.trim();
  const t = asNode(v)?.['#text'];
  return typeof t === 'string' ? t.trim() : '';
}

const nsParser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', parseTagValue: false });

/** The namespace URI of the Body's operation element, resolved through the xmlns declarations above it. */
export function operationNamespace(xml: string, op: string): string | undefined {
  const scope = new Map<string, string>();
  let node = asNode(nsParser.parse(xml));
  for (const local of ['Envelope', 'Body', op]) {
    const entry = Object.entries(node ?? {}).find(([k]) => k === local || k.endsWith(`:${local}`));
    if (!entry) return undefined;
    const [name, value] = entry;
    for (const [k, v] of Object.entries(asNode(value) ?? {})) {
      if (k === '@_xmlns' && typeof v === 'string') scope.set('', v);
      else if (k.startsWith('@_xmlns:') && typeof v === 'string') scope.set(k.slice(8), v);
    }
    if (local === op) return scope.get(name.includes(':') ? (name.split(':')[0] ?? '') : '');
    node = asNode(value);
  }
  return undefined;
}

export const NS = {
  env: 'http://www.w3.org/2003/05/soap-envelope',
  ter: 'http://www.onvif.org/ver10/error',
  tds: 'http://www.onvif.org/ver10/device/wsdl',
  trt: 'http://www.onvif.org/ver10/media/wsdl',
  tr2: 'http://www.onvif.org/ver20/media/wsdl',
  tt: 'http://www.onvif.org/ver10/schema',
  events: 'http://www.onvif.org/ver10/events/wsdl',
  imaging: 'http://www.onvif.org/ver20/imaging/wsdl',
  wsa: 'http://schemas.xmlsoap.org/ws/2004/08/addressing',
  d: 'http://schemas.xmlsoap.org/ws/2005/04/discovery',
  dn: 'http://www.onvif.org/ver10/network/wsdl',
} as const;

export const SERVICE_PATHS = {
  device: '/onvif/device_service',
  media: '/onvif/media_service',
  media2: '/onvif/media2_service',
  events: '/onvif/events_service',
  imaging: '/onvif/imaging_service',
} as const;

export type MediaVersion = 'trt' | 'tr2';

export const VIDEO_SOURCE = 'VideoSource_1';
export const VIDEO_SOURCE_CONFIG = 'VideoSourceConfig_1';
export const OSD_TOKEN = 'OSD_Text_1';

export const PROFILES = [
  { token: 'MainStream', encoder: 'VideoEncoder_1', width: 1920, height: 1080, fps: 25, kbps: 4096 },
  { token: 'SubStream', encoder: 'VideoEncoder_2', width: 640, height: 360, fps: 15, kbps: 512 },
] as const;

export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function nsDecls(prefixes: readonly (keyof typeof NS)[]): string {
  return prefixes.map((p) => ` xmlns:${p}="${NS[p]}"`).join('');
}

export function envelope(body: string, header = ''): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<env:Envelope${nsDecls(['env', 'ter', 'tds', 'trt', 'tr2', 'tt'])}>` +
    `${header ? `<env:Header>${header}</env:Header>` : ''}<env:Body>${body}</env:Body></env:Envelope>`
  );
}

/** A SOAP Fault; `subcodes` nest, e.g. ['ter:InvalidArgVal', 'ter:NoProfile']. */
export function fault(code: 'Sender' | 'Receiver', subcodes: string[], reason: string): string {
  const sub = subcodes.reduceRight(
    (inner, value) => `<env:Subcode><env:Value>${value}</env:Value>${inner}</env:Subcode>`,
    '',
  );
  return envelope(
    `<env:Fault><env:Code><env:Value>env:${code}</env:Value>${sub}</env:Code>` +
      `<env:Reason><env:Text xml:lang="en">${esc(reason)}</env:Text></env:Reason></env:Fault>`,
  );
}

const el = (name: string, value: string | number | boolean) => `<${name}>${value}</${name}>`;

export function deviceInformation(cam: SimCameraState): string {
  const i = cam.identity;
  return envelope(
    `<tds:GetDeviceInformationResponse>${el('tds:Manufacturer', esc(i.manufacturer))}${el('tds:Model', esc(i.model))}` +
      `${el('tds:FirmwareVersion', esc(i.firmwareVersion))}${el('tds:SerialNumber', esc(i.serialNumber))}` +
      `${el('tds:HardwareId', esc(i.hardwareId))}</tds:GetDeviceInformationResponse>`,
  );
}

/** GetCapabilities for one category or All; null for a category this camera lacks. */
export function capabilities(base: string, category: string): string | null {
  const all = category === 'All' || category === '';
  const parts: string[] = [];
  if (all || category === 'Device') {
    parts.push(
      `<tt:Device>${el('tt:XAddr', base + SERVICE_PATHS.device)}<tt:System>${el('tt:DiscoveryResolve', false)}` +
        `${el('tt:DiscoveryBye', true)}${el('tt:RemoteDiscovery', false)}${el('tt:SystemBackup', false)}` +
        `${el('tt:SystemLogging', false)}${el('tt:FirmwareUpgrade', false)}<tt:SupportedVersions>` +
        `${el('tt:Major', 2)}${el('tt:Minor', 60)}</tt:SupportedVersions></tt:System></tt:Device>`,
    );
  }
  if (all || category === 'Events') {
    parts.push(
      `<tt:Events>${el('tt:XAddr', base + SERVICE_PATHS.events)}${el('tt:WSSubscriptionPolicySupport', false)}` +
        `${el('tt:WSPullPointSupport', true)}${el('tt:WSPausableSubscriptionManagerInterfaceSupport', false)}</tt:Events>`,
    );
  }
  if (all || category === 'Imaging')
    parts.push(`<tt:Imaging>${el('tt:XAddr', base + SERVICE_PATHS.imaging)}</tt:Imaging>`);
  if (all || category === 'Media') {
    parts.push(
      `<tt:Media>${el('tt:XAddr', base + SERVICE_PATHS.media)}<tt:StreamingCapabilities>${el('tt:RTPMulticast', false)}` +
        `${el('tt:RTP_TCP', true)}${el('tt:RTP_RTSP_TCP', true)}</tt:StreamingCapabilities></tt:Media>`,
    );
  }
  if (parts.length === 0) return null;
  return envelope(
    `<tds:GetCapabilitiesResponse><tds:Capabilities>${parts.join('')}</tds:Capabilities></tds:GetCapabilitiesResponse>`,
  );
}

export function services(base: string): string {
  const svc = (ns: string, path: string, major: number, minor: number) =>
    `<tds:Service>${el('tds:Namespace', ns)}${el('tds:XAddr', base + path)}<tds:Version>${el('tt:Major', major)}` +
    `${el('tt:Minor', minor)}</tds:Version></tds:Service>`;
  return envelope(
    `<tds:GetServicesResponse>${svc(NS.tds, SERVICE_PATHS.device, 2, 60)}${svc(NS.trt, SERVICE_PATHS.media, 2, 60)}` +
      `${svc(NS.tr2, SERVICE_PATHS.media2, 2, 60)}${svc(NS.events, SERVICE_PATHS.events, 2, 60)}` +
      `${svc(NS.imaging, SERVICE_PATHS.imaging, 2, 60)}</tds:GetServicesResponse>`,
  );
}

function videoSourceConfig(tag: string): string {
  return (
    `<${tag} token="${VIDEO_SOURCE_CONFIG}">${el('tt:Name', 'VideoSourceConfig')}${el('tt:UseCount', 2)}` +
    `${el('tt:SourceToken', VIDEO_SOURCE)}<tt:Bounds x="0" y="0" width="1920" height="1080"/></${tag}>`
  );
}

/** GetProfiles in Media (trt) or Media2 (tr2) shape; `token` narrows Media2's answer to one profile. */
export function profiles(version: MediaVersion, token?: string): string | null {
  const chosen = PROFILES.filter((p) => token === undefined || p.token === token);
  if (chosen.length === 0) return null;
  const items = chosen.map((p) => {
    const common =
      `${el('tt:Name', p.encoder)}${el('tt:UseCount', 1)}${el('tt:Encoding', 'H264')}` +
      `<tt:Resolution>${el('tt:Width', p.width)}${el('tt:Height', p.height)}</tt:Resolution>`;
    if (version === 'trt') {
      return (
        `<trt:Profiles token="${p.token}" fixed="true">${el('tt:Name', p.token)}${videoSourceConfig('tt:VideoSourceConfiguration')}` +
        `<tt:VideoEncoderConfiguration token="${p.encoder}">${common}${el('tt:Quality', 4)}<tt:RateControl>` +
        `${el('tt:FrameRateLimit', p.fps)}${el('tt:EncodingInterval', 1)}${el('tt:BitrateLimit', p.kbps)}</tt:RateControl>` +
        `<tt:H264>${el('tt:GovLength', p.fps * 2)}${el('tt:H264Profile', 'Main')}</tt:H264>${el('tt:SessionTimeout', 'PT60S')}` +
        `</tt:VideoEncoderConfiguration></trt:Profiles>`
      );
    }
    return (
      `<tr2:Profiles token="${p.token}" fixed="true">${el('tr2:Name', p.token)}<tr2:Configurations>` +
      `${videoSourceConfig('tr2:VideoSource')}<tr2:VideoEncoder token="${p.encoder}" GovLength="${p.fps * 2}" Profile="Main">` +
      `${common}<tt:RateControl ConstantBitRate="false">${el('tt:FrameRateLimit', p.fps)}${el('tt:BitrateLimit', p.kbps)}` +
      `</tt:RateControl>${el('tt:Quality', 4)}</tr2:VideoEncoder></tr2:Configurations></tr2:Profiles>`
    );
  });
  return envelope(`<${version}:GetProfilesResponse>${items.join('')}</${version}:GetProfilesResponse>`);
}

/** GetStreamUri / GetSnapshotUri: Media wraps the URI in a MediaUri, Media2 answers a bare Uri. */
export function mediaUri(version: MediaVersion, op: 'GetStreamUri' | 'GetSnapshotUri', uri: string): string {
  const inner =
    version === 'trt'
      ? `<trt:MediaUri>${el('tt:Uri', esc(uri))}${el('tt:InvalidAfterConnect', false)}` +
        `${el('tt:InvalidAfterReboot', false)}${el('tt:Timeout', 'PT0S')}</trt:MediaUri>`
      : el('tr2:Uri', esc(uri));
  return envelope(`<${version}:${op}Response>${inner}</${version}:${op}Response>`);
}

function dateTime(tag: string, d: Date): string {
  return (
    `<${tag}><tt:Time>${el('tt:Hour', d.getUTCHours())}${el('tt:Minute', d.getUTCMinutes())}` +
    `${el('tt:Second', d.getUTCSeconds())}</tt:Time><tt:Date>${el('tt:Year', d.getUTCFullYear())}` +
    `${el('tt:Month', d.getUTCMonth() + 1)}${el('tt:Day', d.getUTCDate())}</tt:Date></${tag}>`
  );
}

/** The camera's clock: UTC, and local time in China Standard Time (POSIX TZ 'CST-8'). */
export function systemDateAndTime(cam: SimCameraState, realMs: number = Date.now()): string {
  const utc = cam.now(realMs);
  const local = new Date(utc.getTime() + 8 * 3600_000);
  return envelope(
    `<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime>` +
      `${el('tt:DateTimeType', cam.clockAheadSeconds === 0 ? 'NTP' : 'Manual')}${el('tt:DaylightSavings', false)}` +
      `<tt:TimeZone>${el('tt:TZ', 'CST-8')}</tt:TimeZone>${dateTime('tt:UTCDateTime', utc)}` +
      `${dateTime('tt:LocalDateTime', local)}</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>`,
  );
}

export function osds(version: MediaVersion, label: string, configToken?: string): string {
  const item =
    configToken === undefined || configToken === VIDEO_SOURCE_CONFIG
      ? `<${version}:OSDs token="${OSD_TOKEN}">${el('tt:VideoSourceConfigurationToken', VIDEO_SOURCE_CONFIG)}` +
        `${el('tt:Type', 'Text')}<tt:Position>${el('tt:Type', 'UpperLeft')}</tt:Position><tt:TextString>` +
        `${el('tt:Type', 'Plain')}${el('tt:PlainText', esc(label))}</tt:TextString></${version}:OSDs>`
      : '';
  return envelope(`<${version}:GetOSDsResponse>${item}</${version}:GetOSDsResponse>`);
}

export function videoSources(): string {
  return envelope(
    `<trt:GetVideoSourcesResponse><trt:VideoSources token="${VIDEO_SOURCE}">${el('tt:Framerate', 25)}` +
      `<tt:Resolution>${el('tt:Width', 1920)}${el('tt:Height', 1080)}</tt:Resolution></trt:VideoSources>` +
      `</trt:GetVideoSourcesResponse>`,
  );
}

export function scopes(cam: SimCameraState): string {
  const items = cam
    .scopes()
    .map((s) => `<tds:Scopes>${el('tt:ScopeDef', 'Fixed')}${el('tt:ScopeItem', esc(s))}</tds:Scopes>`);
  return envelope(`<tds:GetScopesResponse>${items.join('')}</tds:GetScopesResponse>`);
}

/** A WS-Discovery ProbeMatches datagram for one camera. */
export function probeMatches(
  cam: SimCameraState,
  xaddr: string,
  relatesTo: string,
  messageNumber: number,
): string {
  const header =
    `${el('wsa:MessageID', `urn:uuid:${randomUUID()}`)}${el('wsa:RelatesTo', esc(relatesTo))}` +
    `${el('wsa:To', 'http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous')}` +
    `${el('wsa:Action', 'http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches')}` +
    `<d:AppSequence InstanceId="1" MessageNumber="${messageNumber}"/>`;
  const body =
    `<d:ProbeMatches><d:ProbeMatch><wsa:EndpointReference>${el('wsa:Address', cam.endpointReference)}` +
    `</wsa:EndpointReference>${el('d:Types', 'dn:NetworkVideoTransmitter tds:Device')}` +
    `${el('d:Scopes', esc(cam.scopes().join(' ')))}${el('d:XAddrs', esc(xaddr))}` +
    `${el('d:MetadataVersion', cam.metadataVersion)}</d:ProbeMatch></d:ProbeMatches>`;
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<env:Envelope${nsDecls(['env', 'wsa', 'd', 'dn', 'tds'])}>` +
    `<env:Header>${header}</env:Header><env:Body>${body}</env:Body></env:Envelope>`
  );
}
