import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCountyFixture, type CountyFixture, PASSWORD } from '../support/county-fixture.js';
import { login, startTestApi, type TestApi } from '../support/harness.js';

let api: TestApi;
let fx: CountyFixture;
let admin: { authorization: string };

beforeAll(async () => {
  api = await startTestApi();
  fx = await buildCountyFixture(api.deps.db);
  admin = await login(api.app, 'admin', PASSWORD);
});
afterAll(() => api.close());

let serial = 7000;
const register = (over: object) =>
  api.app.inject({
    method: 'POST',
    url: '/api/v1/cameras',
    headers: admin,
    payload: { name: '村口', siteId: fx.node.A1s, gbCode: `6404250000132000${serial++}`, ...over },
  });
const cameraCount = async () =>
  (await api.deps.db.query<{ n: number }>('SELECT count(*)::int AS n FROM cameras')).rows[0]?.n;

describe('camera profiles at registration', () => {
  it('the API loaded every profile once at start', () => {
    expect(api.deps.profiles.names).toEqual([
      'axis',
      'dahua',
      'generic-onvif',
      'generic-rtsp',
      'hikvision',
      'tiandy',
      'uniview',
    ]);
  });

  it('a Hikvision camera with an ip and no URLs gets the Hikvision addresses', async () => {
    const res = await register({ vendor: 'hikvision', ip: '10.64.1.21' });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      vendor: 'hikvision',
      rtspMainUrl: 'rtsp://10.64.1.21:554/Streaming/Channels/101',
      rtspSubUrl: 'rtsp://10.64.1.21:554/Streaming/Channels/102',
      onvifUrl: 'http://10.64.1.21/onvif/device_service',
    });
    const stored = await api.deps.db.query('SELECT rtsp_main_url, rtsp_sub_url FROM cameras WHERE id = $1', [
      res.json().id,
    ]);
    expect(stored.rows[0]).toEqual({
      rtsp_main_url: 'rtsp://10.64.1.21:554/Streaming/Channels/101',
      rtsp_sub_url: 'rtsp://10.64.1.21:554/Streaming/Channels/102',
    });
  });

  it('an IPv6 camera gets bracketed addresses', async () => {
    const res = await register({ vendor: 'dahua', ip: '2001:db8::21' });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      rtspMainUrl: 'rtsp://[2001:db8::21]:554/cam/realmonitor?channel=1&subtype=0',
      rtspSubUrl: 'rtsp://[2001:db8::21]:554/cam/realmonitor?channel=1&subtype=1',
      onvifUrl: 'http://[2001:db8::21]/onvif/device_service',
    });
  });

  it('URLs given are kept; an RTSP pair is filled only when neither half is given', async () => {
    const res = await register({
      vendor: 'hikvision',
      ip: '10.64.1.22',
      rtspMainUrl: 'rtsp://10.64.1.22:10554/Streaming/Channels/101',
      onvifUrl: null,
    });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      rtspMainUrl: 'rtsp://10.64.1.22:10554/Streaming/Channels/101',
      rtspSubUrl: null,
      onvifUrl: null,
    });
  });

  it('no ip, no filling; RTSP-only and ONVIF-only profiles fill only what they know', async () => {
    const bare = await register({ vendor: 'hikvision' });
    expect(bare.json()).toMatchObject({ rtspMainUrl: null, rtspSubUrl: null, onvifUrl: null });
    const rtspOnly = await register({ vendor: 'generic-rtsp', ip: '10.64.1.23' });
    expect(rtspOnly.json()).toMatchObject({ rtspMainUrl: null, rtspSubUrl: null, onvifUrl: null });
    const onvifOnly = await register({ ip: '10.64.1.24' });
    expect(onvifOnly.json()).toMatchObject({
      vendor: 'generic-onvif',
      rtspMainUrl: null,
      onvifUrl: 'http://10.64.1.24/onvif/device_service',
    });
  });

  it('an unknown vendor → 400 naming vendor and listing the known ones, nothing stored', async () => {
    const before = await cameraCount();
    const res = await register({ vendor: 'acme', ip: '10.64.1.25' });
    expect(res.statusCode).toBe(400);
    expect(res.json().field).toBe('vendor');
    expect(res.json().message).toMatch(
      /'acme'.*axis, dahua, generic-onvif, generic-rtsp, hikvision, tiandy, uniview/,
    );
    expect(await cameraCount()).toBe(before);
    const patch = await api.app.inject({
      method: 'PATCH',
      url: `/api/v1/cameras/${fx.camera.A1}`,
      headers: admin,
      payload: { vendor: 'acme' },
    });
    expect(patch.statusCode).toBe(400);
    expect(patch.json().field).toBe('vendor');
  });
});
