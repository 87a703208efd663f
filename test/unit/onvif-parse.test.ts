import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  parseCapabilities,
  parseDeviceInformation,
  parseOsds,
  parseProfiles,
  parseServices,
  parseSnapshotUri,
  parseSoap,
  parseStreamUri,
  parseSystemDateAndTime,
  ReplyError,
  utcOffsetFromPosixTz,
} from '../../src/onvif/parse.js';

const fixture = (path: string) => readFileSync(new URL(`../fixtures/onvif/${path}`, import.meta.url), 'utf8');

const HIK = 'hikvision-ds-2cd2143g2-i';
const DAHUA = 'dahua-ipc-hfw2431s-s-s2';
const AXIS = 'axis-p1375';
const UNV = 'uniview-ipc2124lb-sf28km-g';

/** Renames a namespace prefix everywhere it is used as one (tags and xmlns declarations). */
function renamePrefix(xml: string, from: string, to: string): string {
  return xml
    .replace(new RegExp(`<(/?)${from}:`, 'g'), `<$1${to}:`)
    .replace(new RegExp(`xmlns:${from}=`, 'g'), `xmlns:${to}=`);
}

function replyError(fn: () => unknown): ReplyError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ReplyError) return err;
    throw err;
  }
  throw new Error('expected a ReplyError');
}

describe('device information', () => {
  it.each([
    [HIK, 'HIKVISION', 'DS-2CD2143G2-I', 'V5.7.3 build 220112', 'DS-2CD2143G2-I20220315AAWRJ12345678', '88'],
    [
      DAHUA,
      'Dahua',
      'IPC-HFW2431S-S-S2',
      '2.800.0000000.26.R, Build Date 2021-11-08',
      '6J0A2B3PAZ7F1C4',
      '1.00',
    ],
    [AXIS, 'AXIS', 'P1375', '10.12.114', 'B8A44F3C91D2', '7AB'],
    [UNV, 'Uniview', 'IPC2124LB-SF28KM-G', 'IPC_G6103-B0008P60D1908', '210235C3EN3205000123', 'C'],
  ])('%s', (dir, manufacturer, model, firmwareVersion, serialNumber, hardwareId) => {
    expect(parseDeviceInformation(fixture(`${dir}/GetDeviceInformation.xml`))).toEqual({
      manufacturer,
      model,
      firmwareVersion,
      serialNumber,
      hardwareId,
    });
  });
});

describe('service addresses', () => {
  it.each([
    [HIK, '192.168.1.64', '/onvif/Media', '/onvif/Events', '/onvif/Imaging'],
    [DAHUA, '192.168.1.108', '/onvif/media_service', '/onvif/event_service', '/onvif/imaging_service'],
    [AXIS, '192.168.0.90', '/onvif/services', '/onvif/services', '/onvif/services'],
  ])('GetCapabilities of %s', (dir, host, media, events, imaging) => {
    expect(parseCapabilities(fixture(`${dir}/GetCapabilities.xml`))).toEqual({
      device: `http://${host}/onvif/device_service`,
      media: `http://${host}${media}`,
      media2: null,
      events: `http://${host}${events}`,
      imaging: `http://${host}${imaging}`,
    });
  });

  it('GetServices of axis-p1375 includes Media2', () => {
    expect(parseServices(fixture(`${AXIS}/GetServices.xml`))).toEqual({
      device: 'http://192.168.0.90/onvif/device_service',
      media: 'http://192.168.0.90/onvif/services',
      media2: 'http://192.168.0.90/onvif/services',
      events: 'http://192.168.0.90/onvif/services',
      imaging: 'http://192.168.0.90/onvif/services',
    });
  });
});

describe('profiles', () => {
  it('hikvision: three profiles with encoder and source configuration', () => {
    const profiles = parseProfiles(fixture(`${HIK}/GetProfiles.xml`));
    expect(profiles.map((p) => [p.token, p.name, p.encoding, p.width, p.height])).toEqual([
      ['Profile_1', 'mainStream', 'H264', 2560, 1440],
      ['Profile_2', 'subStream', 'H264', 640, 360],
      ['Profile_3', 'thirdStream', 'H264', 1280, 720],
    ]);
    expect(profiles[0]?.videoSourceConfigurationToken).toBe('VideoSourceToken');
  });

  it('dahua: namespaces declared on the response element', () => {
    const profiles = parseProfiles(fixture(`${DAHUA}/GetProfiles.xml`));
    expect(profiles).toEqual([
      {
        token: 'MediaProfile000',
        name: 'MediaProfile_Channel1_MainStream',
        encoding: 'H264',
        width: 2688,
        height: 1520,
        videoSourceConfigurationToken: '000',
      },
      {
        token: 'MediaProfile001',
        name: 'MediaProfile_Channel1_SubStream1',
        encoding: 'H264',
        width: 704,
        height: 576,
        videoSourceConfigurationToken: '000',
      },
    ]);
  });

  it('axis: default-namespace style', () => {
    const profiles = parseProfiles(fixture(`${AXIS}/GetProfiles.xml`));
    expect(profiles.map((p) => [p.token, p.width, p.height, p.videoSourceConfigurationToken])).toEqual([
      ['profile_1_h264', 1920, 1080, 'default_1'],
      ['profile_2_h264', 640, 360, 'default_1'],
    ]);
  });

  it('a profile without encoder configuration has null encoding and size', () => {
    const xml = `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>
      <m:GetProfilesResponse xmlns:m="http://www.onvif.org/ver10/media/wsdl"><m:Profiles token="p0"/></m:GetProfilesResponse>
      </s:Body></s:Envelope>`;
    expect(parseProfiles(xml)).toEqual([
      {
        token: 'p0',
        name: 'p0',
        encoding: null,
        width: null,
        height: null,
        videoSourceConfigurationToken: null,
      },
    ]);
  });
});

describe('stream and snapshot URIs (entities decoded)', () => {
  it.each([
    [
      HIK,
      'GetStreamUri.xml',
      'rtsp://192.168.1.64:554/Streaming/Channels/101?transportmode=unicast&profile=Profile_1',
    ],
    [
      HIK,
      'GetStreamUri-sub.xml',
      'rtsp://192.168.1.64:554/Streaming/Channels/102?transportmode=unicast&profile=Profile_2',
    ],
    [
      DAHUA,
      'GetStreamUri.xml',
      'rtsp://192.168.1.108:554/cam/realmonitor?channel=1&subtype=0&unicast=true&proto=Onvif',
    ],
    [
      AXIS,
      'GetStreamUri.xml',
      'rtsp://192.168.0.90/onvif-media/media.amp?profile=profile_1_h264&sessiontimeout=60&streamtype=unicast',
    ],
    [UNV, 'GetStreamUri.xml', 'rtsp://192.168.1.13:554/media/video1'],
  ])('%s %s', (dir, file, uri) => {
    expect(parseStreamUri(fixture(`${dir}/${file}`))).toBe(uri);
  });

  it.each([
    [HIK, 'http://192.168.1.64/onvif-http/snapshot?Profile_1'],
    [DAHUA, 'http://192.168.1.108/onvifsnapshot/media_service/snapshot?channel=1&subtype=0'],
    [AXIS, 'http://192.168.0.90/onvif-cgi/jpg/image.cgi?resolution=1920x1080&compression=30'],
  ])('%s snapshot', (dir, uri) => {
    expect(parseSnapshotUri(fixture(`${dir}/GetSnapshotUri.xml`))).toBe(uri);
  });
});

describe('system date and time', () => {
  it.each([
    [HIK, '2024-05-01T02:30:15.000Z', 'NTP'],
    [DAHUA, '2023-12-31T23:59:58.000Z', 'Manual'],
    [AXIS, '2024-07-15T14:05:09.000Z', 'NTP'],
    // no UTCDateTime: LocalDateTime 08:15 in POSIX 'CST-8' (UTC+8)
    [UNV, '2024-03-01T00:15:00.000Z', 'Manual'],
  ])('%s', (dir, utc, type) => {
    const receivedAt = new Date(Date.parse(utc) - 90_500);
    const reading = parseSystemDateAndTime(fixture(`${dir}/GetSystemDateAndTime.xml`), receivedAt);
    expect(reading.cameraTime.toISOString()).toBe(utc);
    expect(reading.offsetSeconds).toBe(90.5);
    expect(reading.dateTimeType).toBe(type);
  });

  it('camera behind the local clock gives a negative offset', () => {
    const reading = parseSystemDateAndTime(
      fixture(`${HIK}/GetSystemDateAndTime.xml`),
      new Date('2024-05-01T02:31:15.000Z'),
    );
    expect(reading.offsetSeconds).toBe(-60);
  });

  it.each([
    ['CST-8', false, -28800],
    ['CST-8:00:00', false, -28800],
    ['GMT-08:00', false, -28800],
    ['<+0530>-5:30', false, -19800],
    ['EST5EDT,M3.2.0,M11.1.0', false, 18000],
    ['EST5EDT,M3.2.0,M11.1.0', true, 14400],
    ['CET-1CEST,M3.5.0,M10.5.0/3', true, -7200],
    ['AAA3BBB1', true, 3600],
    ['CST-8', true, -28800], // no DST rule: DaylightSavings changes nothing
  ])('POSIX TZ %s (dst %s) → %i s', (tz, dst, seconds) => {
    expect(utcOffsetFromPosixTz(tz, dst)).toBe(seconds);
  });

  it.each(['', 'Asia/Shanghai', '8', 'UTC'])('unusable TZ %j → null', (tz) => {
    expect(utcOffsetFromPosixTz(tz, false)).toBeNull();
  });

  it('LocalDateTime with an unusable TZ is malformed', () => {
    const xml = fixture(`${UNV}/GetSystemDateAndTime.xml`).replace('CST-8', 'Asia/Shanghai');
    expect(replyError(() => parseSystemDateAndTime(xml, new Date())).message).toMatch(/TimeZone/);
  });

  it('an impossible date is malformed', () => {
    const xml = fixture(`${HIK}/GetSystemDateAndTime.xml`)
      .replace('<tt:Month>5</tt:Month>', '<tt:Month>2</tt:Month>')
      .replace('<tt:Day>1</tt:Day>', '<tt:Day>30</tt:Day>');
    expect(replyError(() => parseSystemDateAndTime(xml, new Date())).message).toMatch(/invalid Date/);
  });
});

describe('OSDs', () => {
  it.each([
    [HIK, [{ token: 'OsdToken_101', text: '城关镇-人民路与解放路口-东' }]],
    [DAHUA, [{ token: 'OSD_000_Title0', text: 'PY-0031 西街小学南门' }]],
    [AXIS, [{ token: 'osd_text_1', text: 'Checkpoint K12 & bridge' }]],
  ])('%s: plain text only', (dir, expected) => {
    expect(parseOsds(fixture(`${dir}/GetOSDs.xml`))).toEqual(expected);
  });
});

describe('faults', () => {
  it.each([
    [HIK, 'env:Sender', 'The action requested requires authorization and the sender is not authorized', null],
    [DAHUA, 's:Sender', 'Sender not Authorized', null],
    [AXIS, 'Sender', 'Sender not Authorized', 'The requested operation needs authentication.'],
  ])('%s NotAuthorized', (dir, code, reason, detail) => {
    const xml = fixture(`${dir}/Fault-NotAuthorized.xml`);
    expect(parseSoap(xml).fault).toEqual({ code, subcodes: ['ter:NotAuthorized'], reason, detail });
    expect(replyError(() => parseDeviceInformation(xml)).fault?.subcodes).toEqual(['ter:NotAuthorized']);
  });

  it('nested subcodes are listed outermost first', () => {
    const fault = parseSoap(fixture(`${DAHUA}/Fault-ActionNotSupported.xml`)).fault;
    expect(fault?.subcodes).toEqual(['ter:ActionNotSupported', 'ter:NoSuchService']);
    expect(fault?.reason).toBe('Optional Action Not Implemented');
  });

  it('SOAP 1.1 faults are read too', () => {
    expect(parseSoap(fixture('edge/soap11-fault.xml')).fault).toEqual({
      code: 'SOAP-ENV:Client',
      subcodes: [],
      reason: 'Method not implemented',
      detail: null,
    });
  });

  it('a normal reply has no fault', () => {
    expect(parseSoap(fixture(`${HIK}/GetDeviceInformation.xml`)).fault).toBeNull();
  });
});

describe('malformed replies', () => {
  it.each([
    ['edge/not-xml.txt', /not well-formed XML/],
    ['edge/truncated.xml', /not well-formed XML/],
    ['edge/not-soap.xml', /not a SOAP envelope/],
    ['edge/missing-model.xml', /has no Model/],
  ])('%s', (file, message) => {
    expect(replyError(() => parseDeviceInformation(fixture(file))).message).toMatch(message);
  });

  it.each([
    ['', /not well-formed XML/],
    ['{"Manufacturer":"HIKVISION"}', /not well-formed XML/],
    ['<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>', /DTD/],
    ['<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Header/></s:Envelope>', /no Body/],
  ])('%j', (xml, message) => {
    expect(replyError(() => parseDeviceInformation(xml)).message).toMatch(message);
  });

  it('a reply for another operation lacks the expected element', () => {
    const err = replyError(() => parseProfiles(fixture(`${HIK}/GetDeviceInformation.xml`)));
    expect(err.message).toMatch(/no GetProfilesResponse/);
    expect(err.fault).toBeNull();
  });

  it('a stream URI reply without Uri', () => {
    expect(replyError(() => parseStreamUri(fixture('edge/stream-uri-without-uri.xml'))).message).toMatch(
      /MediaUri\/Uri/,
    );
  });

  it('a profile without a token', () => {
    const xml = fixture(`${HIK}/GetProfiles.xml`).replace('token="Profile_2"', '');
    expect(replyError(() => parseProfiles(xml)).message).toMatch(/no token/);
  });
});

describe('namespace prefixes do not matter', () => {
  it('hikvision profiles with every prefix renamed', () => {
    const original = fixture(`${HIK}/GetProfiles.xml`);
    let renamed = original;
    for (const [from, to] of [
      ['env', 'SOAP-ENV'],
      ['trt', 'ns1'],
      ['tt', 'ns2'],
    ] as const) {
      renamed = renamePrefix(renamed, from, to);
    }
    expect(renamed).not.toContain('<tt:');
    expect(parseProfiles(renamed)).toEqual(parseProfiles(original));
  });

  it('dahua device information under default namespaces', () => {
    const original = fixture(`${DAHUA}/GetDeviceInformation.xml`);
    const defaulted = original.replace(/<(\/?)tds:/g, '<$1').replace('xmlns:tds=', 'xmlns=');
    expect(parseDeviceInformation(defaulted)).toEqual(parseDeviceInformation(original));
  });

  it('an XML declaration, a BOM and surrounding whitespace are accepted', () => {
    const body = fixture(`${AXIS}/GetSnapshotUri.xml`).replace(/^<!--.*-->\n/, '');
    const xml = `\uFEFF <?xml version="1.0" encoding="UTF-8"?>\n${body}\n`;
    expect(parseSnapshotUri(xml)).toMatch(/^http:\/\/192\.168\.0\.90\//);
  });
});
