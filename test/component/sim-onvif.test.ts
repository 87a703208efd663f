import { createHash, randomBytes } from 'node:crypto';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { Cam } from 'onvif';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSimCameraSpecs, type SimCameraSpec } from '../../sim/camera-state.js';
import { type SimCameraHandle, type SimCounty, startSimCounty } from '../../sim/county.js';

/** Real sockets on 127.41.x.y; the onvif package's Cam is the independent reference client. */

const PASSWORD = 'sim-test-pw-1';
const parser = new XMLParser({ removeNSPrefix: true, ignoreAttributes: false, attributeNamePrefix: '@_' });
const md5 = (s: string) => createHash('md5').update(s).digest('hex');

function specs(): SimCameraSpec[] {
  const base = generateSimCameraSpecs({ count: 8, base: '127.41.0.1', password: PASSWORD });
  return base.map((s, i) => ({
    ...s,
    authStyle: i === 1 ? 'http-digest' : i === 2 ? 'both' : 'ws-username-token',
  }));
}

function envelope(op: string, ns: string, inner = '', header = ''): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope">' +
    `<s:Header>${header}</s:Header><s:Body><x:${op} xmlns:x="${ns}">${inner}</x:${op}></s:Body></s:Envelope>`
  );
}
const TDS = 'http://www.onvif.org/ver10/device/wsdl';
const TRT = 'http://www.onvif.org/ver10/media/wsdl';
const TR2 = 'http://www.onvif.org/ver20/media/wsdl';

function usernameToken(password: string, opts: { created?: string; nonce?: Buffer } = {}): string {
  const nonce = opts.nonce ?? randomBytes(16);
  const created = opts.created ?? new Date().toISOString();
  const digest = createHash('sha1').update(
    Buffer.concat([nonce, Buffer.from(created), Buffer.from(password)]),
  );
  return (
    '<wsse:Security s:mustUnderstand="1" xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd" ' +
    'xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"><wsse:UsernameToken>' +
    '<wsse:Username>admin</wsse:Username><wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest">' +
    `${digest.digest('base64')}</wsse:Password><wsse:Nonce>${nonce.toString('base64')}</wsse:Nonce>` +
    `<wsu:Created>${created}</wsu:Created></wsse:UsernameToken></wsse:Security>`
  );
}

interface Res {
  status: number;
  headers: Headers;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: parsed SOAP is walked freely in assertions
  xml: any;
}

async function post(
  url: string,
  body: string,
  headers: Record<string, string> = {},
  ms = 5000,
): Promise<Res> {
  const res = await fetch(url, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/soap+xml; charset=utf-8', ...headers },
    signal: AbortSignal.timeout(ms),
  });
  const text = await res.text();
  const xml = XMLValidator.validate(text) === true ? parser.parse(text) : null;
  return { status: res.status, headers: res.headers, text, xml };
}

const wsCall = (url: string, op: string, ns = TDS, inner = '', pw = PASSWORD) =>
  post(url, envelope(op, ns, inner, usernameToken(pw)));

/** HTTP Digest (MD5, qop=auth): a challenge first, then the answer; returns both for replay checks. */
async function digestCall(url: string, body: string, pw = PASSWORD, nc = '00000001') {
  const challenge = await post(url, body);
  const header = challenge.headers.get('www-authenticate') ?? '';
  const p = Object.fromEntries([...header.matchAll(/(\w+)="?([^",]*)"?/g)].map((m) => [m[1], m[2]]));
  const path = new URL(url).pathname;
  const cnonce = randomBytes(8).toString('hex');
  const ha1 = md5(`admin:${p.realm}:${pw}`);
  const response = md5(`${ha1}:${p.nonce}:${nc}:${cnonce}:auth:${md5(`POST:${path}`)}`);
  const authorization =
    `Digest username="admin", realm="${p.realm}", nonce="${p.nonce}", uri="${path}", qop=auth, ` +
    `nc=${nc}, cnonce="${cnonce}", response="${response}", algorithm=MD5`;
  return { challenge, authorization, res: await post(url, body, { authorization }) };
}

const faultSubcode = (r: Res): string => r.xml?.Envelope?.Body?.Fault?.Code?.Subcode?.Value;

function body(r: Res, op: string) {
  return r.xml?.Envelope?.Body?.[op];
}

async function refusedCode(url: string): Promise<string | undefined> {
  try {
    await post(url, envelope('GetSystemDateAndTime', TDS), {}, 2000);
    return 'answered';
  } catch (err) {
    return (err as { cause?: { code?: string } }).cause?.code;
  }
}

function connectCam(c: SimCameraHandle, password = PASSWORD): Promise<Cam> {
  return new Promise((resolve, reject) => {
    const cam = new Cam(
      {
        hostname: c.host,
        port: c.onvifPort,
        username: 'admin',
        password,
        timeout: 3000,
        path: '/onvif/device_service',
      },
      (err) => (err ? reject(err) : resolve(cam)),
    );
  });
}

function cb<T>(fn: (done: (err: Error | null, v?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, v) => (err ? reject(err) : resolve(v as T))));
}

let county: SimCounty;
const cam = (i: number) => county.cameras[i] as SimCameraHandle;
const control = (path: string, method = 'GET', json?: unknown) =>
  fetch(county.controlUrl + path, {
    method,
    ...(json !== undefined && {
      body: JSON.stringify(json),
      headers: { 'content-type': 'application/json' },
    }),
  });

beforeAll(async () => {
  county = await startSimCounty({ cameras: specs() });
});
afterAll(async () => {
  await county?.close();
});

describe('the onvif package as a reference client', () => {
  it.each([
    [0, 'ws-username-token'],
    [1, 'http-digest'],
    [2, 'both'],
  ])('connects to camera %i (%s) and reads device information, profiles, stream URI and clock', async (i) => {
    const c = cam(i);
    const onvifCam = await connectCam(c);
    const info = await cb<Record<string, string>>((d) => onvifCam.getDeviceInformation(d));
    expect(info).toMatchObject({
      manufacturer: c.state.spec.identity.manufacturer,
      serialNumber: c.state.identity.serialNumber,
    });
    expect(onvifCam.profiles?.map((p) => p.$.token)).toEqual(['MainStream', 'SubStream']);
    expect(onvifCam.activeSource).toMatchObject({ width: 1920, height: 1080, encoding: 'H264' });
    const stream = await cb<{ uri: string }>((d) => onvifCam.getStreamUri({ protocol: 'RTSP' }, d));
    expect(stream.uri).toBe(c.state.spec.rtspUrls.main);
    const sub = await cb<{ uri: string }>((d) =>
      onvifCam.getStreamUri({ protocol: 'RTSP', profileToken: 'SubStream' }, d),
    );
    expect(sub.uri).toBe(c.state.spec.rtspUrls.sub);
    const when = await cb<Date>((d) => onvifCam.getSystemDateAndTime(d));
    expect(Math.abs(when.getTime() - Date.now())).toBeLessThan(3000);
  });

  it('fails to connect with a wrong password, in both auth styles', async () => {
    await expect(connectCam(cam(0), 'wrong')).rejects.toThrow(/not Authorized/i);
    await expect(connectCam(cam(1), 'wrong')).rejects.toThrow(/401/);
  });
});

describe('the device service, raw', () => {
  it('answers GetSystemDateAndTime without auth: UTC, local time and CST-8', async () => {
    const r = await post(cam(0).deviceUrl, envelope('GetSystemDateAndTime', TDS));
    expect(r.status).toBe(200);
    const t = body(r, 'GetSystemDateAndTimeResponse').SystemDateAndTime;
    expect(t.TimeZone.TZ).toBe('CST-8');
    expect(t.UTCDateTime.Time).toHaveProperty('Hour');
    expect((t.LocalDateTime.Time.Hour - t.UTCDateTime.Time.Hour + 24) % 24).toBe(8);
  });

  it('takes a WS-UsernameToken digest and refuses a wrong password, an old Created and a replayed nonce', async () => {
    const url = cam(0).deviceUrl;
    const ok = await wsCall(url, 'GetDeviceInformation');
    expect(ok.status).toBe(200);
    expect(body(ok, 'GetDeviceInformationResponse').Model).toBe(cam(0).state.spec.identity.model);
    const wrong = await wsCall(url, 'GetDeviceInformation', TDS, '', 'nope');
    expect([wrong.status, faultSubcode(wrong)]).toEqual([400, 'ter:NotAuthorized']);
    const old = new Date(Date.now() - 6 * 60_000).toISOString();
    const stale = await post(url, envelope('GetScopes', TDS, '', usernameToken(PASSWORD, { created: old })));
    expect(faultSubcode(stale)).toBe('ter:NotAuthorized');
    const header = usernameToken(PASSWORD);
    expect((await post(url, envelope('GetScopes', TDS, '', header))).status).toBe(200);
    expect(faultSubcode(await post(url, envelope('GetScopes', TDS, '', header)))).toBe('ter:NotAuthorized');
    const missing = await post(url, envelope('GetScopes', TDS));
    expect([missing.status, faultSubcode(missing)]).toEqual([400, 'ter:NotAuthorized']);
  });

  it('takes HTTP Digest (MD5, qop=auth) and refuses a wrong password and a replayed nc', async () => {
    const url = cam(1).deviceUrl;
    const req = envelope('GetDeviceInformation', TDS);
    const { challenge, authorization, res } = await digestCall(url, req);
    expect(challenge.status).toBe(401);
    expect(challenge.headers.get('www-authenticate')).toMatch(
      /^Digest realm="[^"]+", qop="auth", nonce="[0-9a-f]+"/,
    );
    expect(res.status).toBe(200);
    expect(body(res, 'GetDeviceInformationResponse').SerialNumber).toBe(cam(1).state.identity.serialNumber);
    expect((await post(url, req, { authorization })).status).toBe(401);
    expect((await digestCall(url, req, 'nope')).res.status).toBe(401);
    // a WS-UsernameToken alone does not satisfy a digest-only camera
    expect((await wsCall(url, 'GetDeviceInformation')).status).toBe(401);
  });

  it('lets a camera of style both take either', async () => {
    const url = cam(2).deviceUrl;
    expect((await wsCall(url, 'GetScopes')).status).toBe(200);
    expect((await digestCall(url, envelope('GetScopes', TDS))).res.status).toBe(200);
    expect((await post(url, envelope('GetScopes', TDS))).status).toBe(401);
  });

  it('points GetCapabilities and GetServices at this camera', async () => {
    const c = cam(0);
    const base = `http://${c.host}:${c.onvifPort}`;
    const caps = body(
      await wsCall(c.deviceUrl, 'GetCapabilities', TDS, '<x:Category>All</x:Category>'),
      'GetCapabilitiesResponse',
    );
    for (const k of ['Device', 'Media', 'Events', 'Imaging'])
      expect(caps.Capabilities[k].XAddr).toMatch(new RegExp(`^${base}/onvif/`));
    const services = body(
      await wsCall(c.deviceUrl, 'GetServices', TDS, '<x:IncludeCapability>false</x:IncludeCapability>'),
      'GetServicesResponse',
    );
    const namespaces = services.Service.map((s: { Namespace: string }) => s.Namespace);
    expect(namespaces).toEqual(expect.arrayContaining([TDS, TRT, TR2]));
  });

  it('answers Media (ver10) and Media2 (ver20) in their own shapes', async () => {
    const c = cam(0);
    const media = `http://${c.host}:${c.onvifPort}/onvif/media_service`;
    const p1 = body(await wsCall(media, 'GetProfiles', TRT), 'GetProfilesResponse').Profiles;
    expect(p1.map((p: { '@_token': string }) => p['@_token'])).toEqual(['MainStream', 'SubStream']);
    expect(p1[1].VideoEncoderConfiguration.Resolution).toEqual({ Width: 640, Height: 360 });
    expect(p1[0].VideoSourceConfiguration['@_token']).toBe('VideoSourceConfig_1');
    const p2 = body(await wsCall(media, 'GetProfiles', TR2), 'GetProfilesResponse').Profiles;
    expect(p2[0].Configurations.VideoEncoder.Encoding).toBe('H264');
    const u1 = body(
      await wsCall(media, 'GetStreamUri', TRT, '<x:ProfileToken>SubStream</x:ProfileToken>'),
      'GetStreamUriResponse',
    );
    expect(u1.MediaUri.Uri).toBe(c.state.spec.rtspUrls.sub);
    const u2 = body(
      await wsCall(media, 'GetSnapshotUri', TR2, '<x:ProfileToken>MainStream</x:ProfileToken>'),
      'GetSnapshotUriResponse',
    );
    expect(u2.Uri).toBe(c.state.spec.snapshotUrl);
    const none = await wsCall(media, 'GetStreamUri', TRT, '<x:ProfileToken>Nope</x:ProfileToken>');
    expect([none.status, faultSubcode(none)]).toEqual([400, 'ter:InvalidArgVal']);
    const vs = body(await wsCall(media, 'GetVideoSources', TRT), 'GetVideoSourcesResponse');
    expect(vs.VideoSources['@_token']).toBe('VideoSource_1');
    const osd = body(await wsCall(media, 'GetOSDs', TR2), 'GetOSDsResponse').OSDs;
    expect(osd.TextString).toEqual({ Type: 'Plain', PlainText: c.state.spec.osdLabel });
  });

  it('answers an unknown operation with ter:ActionNotSupported', async () => {
    const r = await wsCall(cam(0).deviceUrl, 'SystemReboot');
    expect(faultSubcode(r)).toBe('ter:ActionNotSupported');
  });
});

describe('faults', () => {
  it('offline refuses connections until cleared', async () => {
    const c = cam(3);
    await c.setFaults({ offline: true });
    expect(await refusedCode(c.deviceUrl)).toBe('ECONNREFUSED');
    await c.resetFaults();
    expect(await refusedCode(c.deviceUrl)).toBe('answered');
  });

  it('a hang keeps the request unanswered past 2 s', async () => {
    const c = cam(3);
    await c.setFaults({ onvifHangs: true });
    const started = Date.now();
    await expect(post(c.deviceUrl, envelope('GetSystemDateAndTime', TDS), {}, 2000)).rejects.toThrow(
      /abort|timeout/i,
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
    await c.resetFaults();
  });

  it('malformed SOAP is not XML; authFails refuses good credentials', async () => {
    const c = cam(3);
    await c.setFaults({ malformedSoap: true });
    const r = await post(c.deviceUrl, envelope('GetSystemDateAndTime', TDS));
    expect(r.status).toBe(200);
    expect(XMLValidator.validate(r.text)).not.toBe(true);
    await c.setFaults({ malformedSoap: false, authFails: true });
    expect(faultSubcode(await wsCall(c.deviceUrl, 'GetDeviceInformation'))).toBe('ter:NotAuthorized');
    await c.resetFaults();
    expect((await wsCall(c.deviceUrl, 'GetDeviceInformation')).status).toBe(200);
  });

  it('a clock drift of 300 s puts GetSystemDateAndTime 300 s ahead', async () => {
    const c = cam(3);
    await c.setFaults({ clockDriftSeconds: 300 });
    const r = await post(c.deviceUrl, envelope('GetSystemDateAndTime', TDS));
    const u = body(r, 'GetSystemDateAndTimeResponse').SystemDateAndTime.UTCDateTime;
    const reported = Date.UTC(
      u.Date.Year,
      u.Date.Month - 1,
      u.Date.Day,
      u.Time.Hour,
      u.Time.Minute,
      u.Time.Second,
    );
    expect(Math.abs((reported - Date.now()) / 1000 - 300)).toBeLessThan(3);
    await c.resetFaults();
  });

  it('an OSD override, a firmware and a serial change are visible over ONVIF', async () => {
    const c = cam(4);
    await c.setFaults({ osdLabel: '错误的点位' });
    const media2 = c.deviceUrl.replace('device_service', 'media2_service');
    expect(body(await wsCall(media2, 'GetOSDs', TR2), 'GetOSDsResponse').OSDs.TextString.PlainText).toBe(
      '错误的点位',
    );
    await c.setIdentity({ firmwareVersion: 'V9.9.9', serialNumber: 'SWAPPED-1' });
    const info = body(await wsCall(c.deviceUrl, 'GetDeviceInformation'), 'GetDeviceInformationResponse');
    expect([info.FirmwareVersion, info.SerialNumber]).toEqual(['V9.9.9', 'SWAPPED-1']);
  });

  it('a host change moves the camera: the old address refuses, the new one answers', async () => {
    const c = cam(5);
    const oldUrl = c.deviceUrl;
    await c.setIdentity({ host: '127.41.1.5' });
    expect(c.deviceUrl).toBe(`http://127.41.1.5:${c.onvifPort}/onvif/device_service`);
    expect(await refusedCode(oldUrl)).toBe('ECONNREFUSED');
    expect((await wsCall(c.deviceUrl, 'GetDeviceInformation')).status).toBe(200);
  });
});

describe('the control API', () => {
  it('lists cameras, patches and resets faults, refuses an unknown field by name', async () => {
    const list = (await (await control('/cameras')).json()) as { id: string; deviceUrl: string }[];
    expect(list).toHaveLength(8);
    expect(list[0]).toMatchObject({ id: cam(0).id, deviceUrl: cam(0).deviceUrl });
    expect((await control('/cameras/nope')).status).toBe(404);
    const id = cam(6).id;
    const patched = await control(`/cameras/${id}/faults`, 'PATCH', { offline: true, black: true });
    expect(((await patched.json()) as { faults: object }).faults).toMatchObject({
      offline: true,
      black: true,
    });
    expect(await refusedCode(cam(6).deviceUrl)).toBe('ECONNREFUSED');
    const bad = await control(`/cameras/${id}/faults`, 'PATCH', { offline: false, meltdown: true });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ field: 'meltdown' });
    const reset = (await (await control(`/cameras/${id}/reset`, 'POST')).json()) as { faults: object };
    expect(reset.faults).toMatchObject({ offline: false, black: false });
    expect(await refusedCode(cam(6).deviceUrl)).toBe('answered');
  });

  it('patches identity and refuses a non-loopback host', async () => {
    const id = cam(7).id;
    const r = await control(`/cameras/${id}/identity`, 'PATCH', { firmwareVersion: 'V2' });
    expect(((await r.json()) as { identity: { firmwareVersion: string } }).identity.firmwareVersion).toBe(
      'V2',
    );
    const bad = await control(`/cameras/${id}/identity`, 'PATCH', { host: '0.0.0.0' });
    expect([bad.status, ((await bad.json()) as { field: string }).field]).toEqual([400, 'host']);
  });
});

describe('lifecycle and scale', () => {
  it('close releases every socket, hung ones included, so the same county starts again', async () => {
    const list = generateSimCameraSpecs({ count: 3, base: '127.41.2.1', password: PASSWORD });
    for (let round = 0; round < 3; round += 1) {
      const c = await startSimCounty({ cameras: list, controlPort: 0 });
      const first = c.cameras[0] as SimCameraHandle;
      await first.setFaults({ onvifHangs: true });
      const hung = post(first.deviceUrl, envelope('GetSystemDateAndTime', TDS), {}, 10_000).then(
        () => 'answered',
        (err: unknown) => String((err as { cause?: unknown }).cause ?? err),
      );
      await new Promise((r) => setTimeout(r, 100));
      const t = Date.now();
      await c.close();
      expect(await hung).not.toBe('answered');
      expect(Date.now() - t).toBeLessThan(1000);
    }
  });

  it('starts 1,000 cameras on 127.30.x.y in a few seconds', async () => {
    const list = generateSimCameraSpecs({ count: 1000, base: '127.30.0.1', password: PASSWORD });
    const rss = process.memoryUsage().rss;
    const t = Date.now();
    const big = await startSimCounty({ cameras: list });
    const took = Date.now() - t;
    try {
      expect(took).toBeLessThan(5000);
      expect((process.memoryUsage().rss - rss) / 2 ** 20).toBeLessThan(300);
      for (const i of [0, 499, 999]) {
        const r = await post(
          (big.cameras[i] as SimCameraHandle).deviceUrl,
          envelope('GetSystemDateAndTime', TDS),
        );
        expect(r.status).toBe(200);
      }
    } finally {
      await big.close();
    }
  });
});
