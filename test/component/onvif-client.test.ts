import type http from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  getCapabilities,
  getDeviceInformation,
  getOsds,
  getProfiles,
  getServices,
  getSnapshotUri,
  getStreamUri,
  getSystemDateAndTime,
  readInventory,
} from '../../src/onvif/client.js';
import { DEFAULT_MAX_REPLY_BYTES, OnvifError, type OnvifTarget } from '../../src/onvif/types.js';
import {
  type Behaviour,
  closedPort,
  type DeviceAuth,
  faultXml,
  send,
  startFakeDevice,
  startHttpServer,
  startSilentServer,
} from '../fixtures/onvif/fake-device.js';

const USER = 'ops.admin@cam';
const PASS = 'Cn4ry:@/%20pw';
const HIK = 'hikvision-ds-2cd2143g2-i';
const DAHUA = 'dahua-ipc-hfw2431s-s-s2';
const AXIS = 'axis-p1375';
const SERVICES = {
  device: '',
  media: 'http://10.0.0.1/onvif/Media',
  media2: null,
  events: null,
  imaging: null,
};

const unhandled: unknown[] = [];
const recordUnhandled = (reason: unknown) => unhandled.push(reason);
const open: { close: () => Promise<void> }[] = [];

beforeAll(() => {
  process.on('unhandledRejection', recordUnhandled);
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});
afterAll(async () => {
  await new Promise((r) => setTimeout(r, 50)); // let late settlements surface
  process.off('unhandledRejection', recordUnhandled);
  expect(unhandled).toEqual([]);
});

async function device(
  vendor: string,
  auth: DeviceAuth,
  extra: { behaviour?: Behaviour; unsupported?: string[]; clockNeedsAuth?: boolean } = {},
) {
  const d = await startFakeDevice({ vendor, auth, username: USER, password: PASS, ...extra });
  open.push(d);
  return d;
}

function target(url: string, overrides: Partial<OnvifTarget> = {}): OnvifTarget {
  return { deviceUrl: url, username: USER, password: PASS, timeoutMs: 3000, ...overrides };
}

async function failure(p: Promise<unknown>): Promise<OnvifError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof OnvifError) return err;
    throw err;
  }
  throw new Error('expected an OnvifError');
}

/** Every form of the canary credentials that must never reach a message. */
const CANARY_FORMS = [
  PASS,
  encodeURIComponent(PASS),
  'Cn4ry',
  USER,
  'ops.admin',
  Buffer.from(PASS).toString('base64'),
  Buffer.from(`${USER}:${PASS}`).toString('base64'),
];
function expectNoCanary(message: string) {
  for (const form of CANARY_FORMS) expect(message).not.toContain(form);
}

async function serve(handler: http.RequestListener): Promise<string> {
  const server = await startHttpServer(handler);
  open.push(server);
  return server.url;
}

async function silentServer(): Promise<string> {
  const server = await startSilentServer();
  open.push(server);
  return server.url;
}

const STYLES = [
  ['ws-username-token', 'ws-username-token'],
  ['http-digest', 'http-digest'],
  ['auto', 'ws-username-token'],
  ['auto', 'http-digest'],
] as const;

describe.each(STYLES)('every operation, client auth %s against a %s device', (style, deviceAuth) => {
  it.each([HIK, DAHUA, AXIS])('%s', async (vendor) => {
    const d = await device(vendor, deviceAuth);
    const t = target(d.url, { auth: style });
    const info = await getDeviceInformation(t);
    expect(info.model).toMatch(/DS-2CD2143G2-I|IPC-HFW2431S-S-S2|P1375/);
    const services = await getCapabilities(t);
    expect(services.media).toMatch(/^http:\/\/192\.168\./);
    const profiles = await getProfiles(t, { services });
    expect(profiles.length).toBeGreaterThanOrEqual(2);
    const [main, sub] = profiles;
    if (!main || !sub) throw new Error('profiles');
    const mainUri = await getStreamUri(t, main.token, { transport: 'RTSP', services });
    const subUri = await getStreamUri(t, sub.token, { services });
    expect(mainUri).toMatch(/^rtsp:\/\//);
    expect(subUri).toMatch(/^rtsp:\/\//);
    expect(subUri).not.toBe(mainUri);
    expect(await getSnapshotUri(t, main.token, { services })).toMatch(/^http:\/\//);
    const clock = await getSystemDateAndTime(t);
    expect(clock.cameraTime.getUTCFullYear()).toBeGreaterThanOrEqual(2023);
    expect(Math.abs(clock.offsetSeconds - (clock.cameraTime.getTime() - Date.now()) / 1000)).toBeLessThan(5);
    expect(await getOsds(t, main.videoSourceConfigurationToken ?? undefined, { services })).toHaveLength(1);
    if (vendor === AXIS) expect((await getServices(t)).media2).toMatch(/onvif\/services$/);
    // media services are announced at 192.168.x.x: their paths were used on the device's own host:port
    expect(d.requests.some((r) => /^\/onvif\/(Media|media_service|services)$/.test(r.path))).toBe(true);
    if (style === 'auto' && deviceAuth === 'http-digest') {
      const first = d.requests.find((r) => r.operation === 'GetDeviceInformation');
      expect(first?.hasWsse).toBe(true);
      expect(d.requests.filter((r) => r.authorization?.startsWith('Digest ')).length).toBeGreaterThan(5);
    }
    if (style === 'http-digest') expect(d.requests.some((r) => r.hasWsse)).toBe(false);
    if (style === 'ws-username-token') expect(d.requests.some((r) => r.authorization)).toBe(false);
  });
});

describe('readInventory', () => {
  it('reads everything from a Hikvision (Media1 OSDs at the media address)', async () => {
    const d = await device(HIK, 'http-digest');
    const inv = await readInventory(target(d.url));
    expect(inv.errors).toEqual({});
    expect(inv.deviceInformation?.manufacturer).toBe('HIKVISION');
    expect(inv.profiles?.map((p) => p.token)).toEqual(['Profile_1', 'Profile_2', 'Profile_3']);
    expect(inv.mainStreamUri).toContain('/Streaming/Channels/101?');
    expect(inv.subStreamUri).toContain('/Streaming/Channels/102?');
    expect(inv.snapshotUri).toBe('http://192.168.1.64/onvif-http/snapshot?Profile_1');
    expect(inv.clock?.dateTimeType).toBe('NTP');
    expect(inv.osds).toEqual([{ token: 'OsdToken_101', text: '城关镇-人民路与解放路口-东' }]);
    const osd = d.requests.find((r) => r.operation === 'GetOSDs' && r.authorization);
    expect(osd?.path).toBe('/onvif/Media');
    expect(osd?.body).toContain('<ConfigurationToken>VideoSourceToken</ConfigurationToken>');
  });

  it('falls back to GetServices and reads OSDs over Media2 (Axis)', async () => {
    const d = await device(AXIS, 'ws-username-token', { unsupported: ['GetCapabilities'] });
    const inv = await readInventory(target(d.url));
    expect(inv.errors).toEqual({});
    expect(inv.services?.media2).toBe('http://192.168.0.90/onvif/services');
    expect(inv.osds).toEqual([{ token: 'osd_text_1', text: 'Checkpoint K12 & bridge' }]);
    expect(d.requests.find((r) => r.operation === 'GetOSDs')?.body).toContain(
      'http://www.onvif.org/ver20/media/wsdl',
    );
  });

  it('captures a failing part and keeps the rest (Dahua without GetOSDs)', async () => {
    const d = await device(DAHUA, 'ws-username-token', { unsupported: ['GetOSDs'] });
    const inv = await readInventory(target(d.url));
    expect(inv.deviceInformation?.model).toBe('IPC-HFW2431S-S-S2');
    expect(inv.osds).toBeNull();
    expect(Object.keys(inv.errors)).toEqual(['osds']);
    expect(inv.errors.osds?.kind).toBe('soap-fault');
    expect(inv.errors.osds?.message).toContain('GetOSDs is not supported');
  });

  it('a dead camera costs one timeout, not eight', async () => {
    const url = await silentServer();
    const started = Date.now();
    const inv = await readInventory(target(url, { timeoutMs: 400 }));
    expect(Date.now() - started).toBeLessThan(400 + 1000);
    expect(inv.errors.deviceInformation?.kind).toBe('timeout');
    expect(inv.errors.services?.message).toMatch(/not attempted/);
    expect(inv.errors.clock?.kind).toBe('timeout');
  });
});

describe('authentication failures', () => {
  it.each(STYLES)('wrong password, client %s against a %s device → auth', async (style, deviceAuth) => {
    const d = await device(HIK, deviceAuth);
    const err = await failure(getDeviceInformation(target(d.url, { auth: style, password: 'wrong-pass' })));
    expect(err.kind).toBe('auth');
    expect(err.operation).toBe('GetDeviceInformation');
    expect(err.message).toContain(`127.0.0.1:${d.port}`);
    expect(err.message).not.toContain('wrong-pass');
  });

  it('no credentials for a device that wants them → auth', async () => {
    const d = await device(DAHUA, 'http-digest');
    const err = await failure(getProfiles(target(d.url, { username: undefined, password: undefined })));
    expect(err.kind).toBe('auth');
  });

  it('GetSystemDateAndTime goes without credentials, and retries with them when the device insists', async () => {
    const lenient = await device(HIK, 'http-digest');
    await getSystemDateAndTime(target(lenient.url));
    expect(lenient.requests.map((r) => r.authorization)).toEqual([null]);
    const strict = await device(HIK, 'ws-username-token', { clockNeedsAuth: true });
    expect((await getSystemDateAndTime(target(strict.url))).dateTimeType).toBe('NTP');
    expect(strict.requests.map((r) => r.hasWsse)).toEqual([false, true]);
  });
});

describe('network and reply failures', () => {
  it('a device that accepts and never answers → timeout within the deadline', async () => {
    const url = await silentServer();
    const started = Date.now();
    const err = await failure(getDeviceInformation(target(url, { timeoutMs: 500 })));
    expect(err.kind).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(500 + 1000);
  });

  it('the digest retry shares the deadline of the call', async () => {
    const d = await device(HIK, 'http-digest', {
      behaviour: (_op, req) => req.headers.authorization !== undefined, // hang once credentials arrive
    });
    const started = Date.now();
    const err = await failure(getDeviceInformation(target(d.url, { timeoutMs: 600 })));
    expect(err.kind).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(600 + 1000);
    expect(d.requests).toHaveLength(2);
  });

  it('a slow drip (1 byte every 200 ms forever) → timeout within the deadline', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/soap+xml' });
      res.flushHeaders();
      const drip = setInterval(() => res.write('<'), 200);
      res.on('close', () => clearInterval(drip));
    });
    const started = Date.now();
    const err = await failure(getDeviceInformation(target(url, { timeoutMs: 800 })));
    expect(err.kind).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(800 + 1000);
  });

  it('a closed port → refused', async () => {
    const port = await closedPort();
    const err = await failure(getDeviceInformation(target(`http://127.0.0.1:${port}/onvif/device_service`)));
    expect(err.kind).toBe('refused');
    expect(err.message).toContain(`127.0.0.1:${port}`);
  });

  it('a 10 MB reply → too-large, without blocking the event loop', async () => {
    const big = Buffer.alloc(10 * 1024 * 1024, 'x');
    const url = await serve((_req, res) => {
      // chunked, no length to trust, and never ended: only an abort at the cap can end this call early
      res.writeHead(200, { 'content-type': 'application/soap+xml' });
      res.write(big);
    });
    const delay = monitorEventLoopDelay({ resolution: 10 });
    const started = Date.now();
    delay.enable();
    const err = await failure(getDeviceInformation(target(url, { timeoutMs: 5000 })));
    delay.disable();
    expect(err.kind).toBe('too-large');
    expect(err.message).toContain(`reply larger than ${DEFAULT_MAX_REPLY_BYTES} bytes`);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(delay.max / 1e6).toBeLessThan(100);
  });

  it('a declared Content-Length above the cap → too-large before the body', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/soap+xml', 'content-length': 5000 });
      res.write('<');
    });
    const err = await failure(getDeviceInformation(target(url, { maxReplyBytes: 4096 })));
    expect(err.kind).toBe('too-large');
  });

  it.each([
    ['not XML', '<html><body>Internal error<br></body></html>'],
    ['truncated XML', '<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body><x>'],
    [
      'XML without the element',
      '<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body/></env:Envelope>',
    ],
  ])('%s → malformed', async (_name, body) => {
    const url = await serve((_req, res) => send(res, 200, body));
    const err = await failure(getProfiles(target(url), { services: SERVICES }));
    expect(err.kind).toBe('malformed');
    expect(err.operation).toBe('GetProfiles');
  });

  it('a SOAP fault → soap-fault with its reason', async () => {
    const url = await serve((_req, res) =>
      send(res, 500, faultXml('ter:InvalidArgVal', 'No such profile token')),
    );
    const err = await failure(getStreamUri(target(url), 'nope', { services: SERVICES }));
    expect(err.kind).toBe('soap-fault');
    expect(err.operation).toBe('GetStreamUri');
    expect(err.message).toContain('ter:InvalidArgVal: No such profile token');
  });

  it('no media service announced → malformed, without asking the device', async () => {
    const d = await device(HIK, 'none');
    const err = await failure(getProfiles(target(d.url), { services: { ...SERVICES, media: null } }));
    expect(err.kind).toBe('malformed');
    expect(d.requests).toHaveLength(0);
  });

  it('another HTTP status → http', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(404, { 'content-type': 'text/html' });
      res.end(`<html>${PASS} not found</html>`);
    });
    const err = await failure(getDeviceInformation(target(url)));
    expect(err.kind).toBe('http');
    expect(err.message).toContain('HTTP 404');
  });
});

describe('the canary credentials never appear in an error', () => {
  const echoes = `raw ${PASS} url ${encodeURIComponent(PASS)} b64 ${Buffer.from(PASS).toString('base64')} basic ${Buffer.from(`${USER}:${PASS}`).toString('base64')} user ${USER}`;

  it.each([
    ['NotAuthorized fault', 'ter:NotAuthorized', 'auth'],
    ['other fault', 'ter:InvalidArgVal', 'soap-fault'],
  ])('%s echoing them', async (_name, subcode, kind) => {
    const url = await serve((_req, res) => send(res, 400, faultXml(subcode, echoes)));
    for (const style of ['ws-username-token', 'http-digest', 'auto'] as const) {
      const err = await failure(getDeviceInformation(target(url, { auth: style })));
      expect(err.kind).toBe(kind);
      expect(err.message).toContain('***');
      expectNoCanary(err.message);
    }
  });

  it('in malformed replies and every other failure kind', async () => {
    const malformed = await serve((_req, res) =>
      send(
        res,
        200,
        `<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body>${echoes}</oops>`,
      ),
    );
    const dead = await silentServer();
    const digest = await device(HIK, 'http-digest');
    const refused = `http://${encodeURIComponent(USER)}:${encodeURIComponent(PASS)}@127.0.0.1:${await closedPort()}/`;
    const errors = await Promise.all([
      failure(getDeviceInformation(target(malformed))),
      failure(getDeviceInformation(target(dead, { timeoutMs: 300 }))),
      failure(getDeviceInformation(target(digest.url, { password: `${PASS}x` }))),
      failure(getDeviceInformation(target(refused))),
      failure(getDeviceInformation(target(`notaurl ${PASS}`))),
    ]);
    expect(errors.map((e) => e.kind)).toEqual(['malformed', 'timeout', 'auth', 'refused', 'unreachable']);
    for (const err of errors) expectNoCanary(`${err.message} ${String(err.stack)}`);
  });
});
