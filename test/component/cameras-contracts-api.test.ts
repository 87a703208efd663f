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

const post = (url: string, payload: object) =>
  api.app.inject({ method: 'POST', url: `/api/v1/${url}`, headers: admin, payload });

const camera = (over: object = {}) => ({
  name: '学校门口',
  siteId: fx.node.B1s,
  gbCode: '64042500001320005001',
  ...over,
});

describe('camera registration', () => {
  it('stores a camera and shows its place in the tree', async () => {
    const res = await post('cameras', camera({ lat: 35.85, lon: 106.64, vendor: 'dahua', ip: '10.64.3.7' }));
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body.path.map((p: { kind: string }) => p.kind)).toEqual([
      'county',
      'township',
      'police_district',
      'village',
      'site',
    ]);
    expect(body).toMatchObject({ vendor: 'dahua', ip: '10.64.3.7', hasCredentials: false, retiredAt: null });
  });

  it.each([
    [{ gbCode: '6404250000132000500' }, 'gbCode', /20 digits/],
    [{ gbCode: '64042500001110005001' }, 'gbCode', /not a camera/],
    [{ siteId: 'B1v' }, 'siteId', /must be a site/],
    [{ siteId: '00000000-0000-4000-8000-000000000000' }, 'siteId', /no district/],
    [{ rtspMainUrl: 'http://10.0.0.1/x' }, 'rtspMainUrl', /rtsp/],
    [{ onvifUrl: 'rtsp://10.0.0.1/x' }, 'onvifUrl', /http/],
    [{ lat: 91 }, 'lat', /./],
    [{ sessionLimit: 0 }, 'sessionLimit', /./],
    [{ ip: '10.64.3' }, 'ip', /./],
    [{ placeClass: 'city' }, 'placeClass', /./],
    [{ name: '' }, 'name', /./],
    [{ owner: 'x' }, 'owner', /not a known field/],
    [{ credentials: { username: 'admin' } }, 'credentials.password', /required/],
  ])('%o → 400 naming %s', async (over, field, message) => {
    const resolved = Object.fromEntries(
      Object.entries(over).map(([k, v]) => [k, k === 'siteId' && v === 'B1v' ? fx.node.B1v : v]),
    );
    const before = await api.deps.db.query('SELECT count(*)::int AS n FROM cameras');
    const res = await post('cameras', camera({ gbCode: '64042500001320005099', ...resolved }));
    expect(res.statusCode).toBe(400);
    expect(res.json().field).toBe(field);
    expect(res.json().message).toMatch(message);
    const after = await api.deps.db.query('SELECT count(*)::int AS n FROM cameras');
    expect(after.rows[0].n).toBe(before.rows[0].n);
  });

  it('a GB/T 28181 code already in use → 409 naming gbCode', async () => {
    const res = await post('cameras', camera({ name: '重复' }));
    expect(res.statusCode).toBe(409);
    expect(res.json().field).toBe('gbCode');
  });

  it('retiring keeps the camera but takes it off the active list', async () => {
    const del = await api.app.inject({
      method: 'DELETE',
      url: `/api/v1/cameras/${fx.camera.B1}`,
      headers: admin,
    });
    expect(del.statusCode).toBe(204);
    const active = await api.app.inject({ url: `/api/v1/cameras?under=${fx.node.B1}`, headers: admin });
    expect(active.json().items.map((c: { id: string }) => c.id)).not.toContain(fx.camera.B1);
    const retired = await api.app.inject({ url: '/api/v1/cameras?status=retired', headers: admin });
    expect(retired.json().items.map((c: { id: string }) => c.id)).toEqual([fx.camera.B1]);
    const again = await api.app.inject({
      method: 'DELETE',
      url: `/api/v1/cameras/${fx.camera.B1}`,
      headers: admin,
    });
    expect(again.statusCode).toBe(409);
  });

  it('contractors never see stream addresses', async () => {
    await api.app.inject({
      method: 'PATCH',
      url: `/api/v1/cameras/${fx.camera.A1}`,
      headers: admin,
      payload: { rtspMainUrl: 'rtsp://10.64.1.2/ch1', onvifUrl: 'http://10.64.1.2/onvif/device_service' },
    });
    const k1 = await login(api.app, 'contractork1', PASSWORD);
    const seen = await api.app.inject({ url: `/api/v1/cameras/${fx.camera.A1}`, headers: k1 });
    expect(seen.json()).toMatchObject({ rtspMainUrl: null, onvifUrl: null, rtspSubUrl: null });
    const duty = await login(api.app, 'dutya1', PASSWORD);
    expect(
      (await api.app.inject({ url: `/api/v1/cameras/${fx.camera.A1}`, headers: duty })).json().rtspMainUrl,
    ).toBe('rtsp://10.64.1.2/ch1');
  });
});

describe('maintenance contracts', () => {
  const contract = (over: object = {}) => ({
    contractorId: fx.contractor.K1,
    reference: `HT-${Math.random().toString(36).slice(2, 8)}`,
    validFrom: '2020-01-01',
    validTo: '2020-12-31',
    areaIds: [fx.node.A2v],
    ...over,
  });

  it.each([
    [{ validTo: '2019-12-31' }, 'validTo'],
    [{ validFrom: '2020-02-30' }, 'validFrom'],
    [{ areaIds: [] }, 'areaIds'],
    [{ areaIds: ['00000000-0000-4000-8000-000000000000'] }, 'areaIds.0'],
    [{ contractorId: '00000000-0000-4000-8000-000000000000' }, 'contractorId'],
    [{ slaHoursVillage: 0 }, 'slaHoursVillage'],
    [{ faultThresholdMinutes: 20000 }, 'faultThresholdMinutes'],
  ])('%o → 400 naming %s', async (over, field) => {
    const res = await post('contracts', contract(over));
    expect(res.statusCode).toBe(400);
    expect(res.json().field).toBe(field);
  });

  it('two contracts may not maintain one node over overlapping periods', async () => {
    expect((await post('contracts', contract())).statusCode).toBe(201);
    const clash = await post('contracts', contract({ validFrom: '2020-06-01', validTo: '2021-05-31' }));
    expect(clash.statusCode).toBe(409);
    expect(clash.json().field).toBe('areaIds');
    expect(
      (await post('contracts', contract({ validFrom: '2021-01-01', validTo: '2021-12-31' }))).statusCode,
    ).toBe(201);
  });

  it('a fault is attributed to the most specific contract in force that local day', async () => {
    // K2 maintains village A1v alone for one day, inside K1's contract for the whole of town A.
    const day = new Date();
    const local = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(day);
    const special = await post(
      'contracts',
      contract({ contractorId: fx.contractor.K2, validFrom: local, validTo: local, areaIds: [fx.node.A1v] }),
    );
    expect(special.statusCode).toBe(201);
    const attribution = (at: string) =>
      api.app.inject({
        url: `/api/v1/cameras/${fx.camera.A1}/contract?at=${encodeURIComponent(at)}`,
        headers: admin,
      });
    const now = await attribution(day.toISOString());
    expect(now.json()).toMatchObject({ contractId: special.json().id, contractorId: fx.contractor.K2 });
    const lastMonth = await attribution(new Date(day.getTime() - 30 * 86_400_000).toISOString());
    expect(lastMonth.json()).toMatchObject({ contractId: fx.contract.K1, contractorId: fx.contractor.K1 });
    const longAgo = await attribution('2001-01-01T00:00:00Z');
    expect(longAgo.json()).toMatchObject({ contractId: null, contractorId: null });
  });

  it('the county calendar decides the day, not UTC', async () => {
    const res = await post(
      'contracts',
      contract({
        reference: 'HT-TZ',
        validFrom: '2022-04-01',
        validTo: '2022-04-30',
        areaIds: [fx.node.A1s],
      }),
    );
    expect(res.statusCode).toBe(201);
    const at = (iso: string) =>
      api.app
        .inject({
          url: `/api/v1/cameras/${fx.camera.A1}/contract?at=${encodeURIComponent(iso)}`,
          headers: admin,
        })
        .then((r) => r.json().contractId);
    // 2022-03-31T16:30Z is 00:30 on 1 April in Pengyang
    expect(await at('2022-03-31T16:30:00Z')).toBe(res.json().id);
    expect(await at('2022-03-31T15:30:00Z')).not.toBe(res.json().id);
  });
});
