import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimCounty, startSimCounty } from '../../sim/county.js';
import { simSpecsFromRegistry } from '../../sim/registry-specs.js';
import { RawRtspClient } from '../../sim/rtsp/rtsp-raw-client.js';
import { startRtspForCounty } from '../../sim/rtsp-for-county.js';
import { openCameraCredentials } from '../../src/cameras/registry.js';
import { pollCamera } from '../../src/inventory/poll-service.js';
import { digestAuthorization, parseDigestChallenge } from '../../src/onvif/http-digest.js';
import { loadSeed } from '../../src/seed/load.js';
import { startTestApi, type TestApi } from '../support/harness.js';

// The demo's promise: the simulator is exactly the county the registry describes — same addresses, ports,
// credentials, stream paths and labels — so the service finds in it what it expects.
let api: TestApi;
let sim: SimCounty;
let rtsp: { close: () => Promise<void> };
let specs: Awaited<ReturnType<typeof simSpecsFromRegistry>>;

beforeAll(async () => {
  api = await startTestApi();
  await loadSeed(api.deps.db, api.deps.vault);
  // twelve cameras of the seeded county are plenty to show the match
  specs = (await simSpecsFromRegistry(api.deps.db, api.deps.vault)).slice(0, 12);
  sim = await startSimCounty({ cameras: specs });
  rtsp = await startRtspForCounty(sim, specs);
}, 60_000);

afterAll(async () => {
  await rtsp?.close();
  await sim?.close();
  await api?.close();
});

describe('the demo county matches the seeded registry', () => {
  it('every seeded camera on loopback gets a simulated twin', async () => {
    const { rows } = await api.deps.db.query(
      "SELECT count(*)::int AS n FROM cameras WHERE ip << '127.0.0.0/8'::inet AND retired_at IS NULL",
    );
    expect((await simSpecsFromRegistry(api.deps.db, api.deps.vault)).length).toBe(rows[0].n);
    expect(rows[0].n).toBeGreaterThan(300);
  });

  it('the inventory of a seeded camera reads from its twin with the sealed credentials', async () => {
    const onvif = specs.find((s) => s.onvifPort === 8000);
    const stored = await pollCamera(
      { db: api.deps.db, vault: api.deps.vault, config: api.config, log: api.deps.log },
      onvif?.id ?? '',
    );
    expect(stored).toMatchObject({ ok: true, serialNumber: onvif?.identity.serialNumber });
    expect(stored?.osdTexts).toContain(onvif?.osdLabel);
  });

  it('its registered RTSP URL plays with its credentials (digest) and refuses without', async () => {
    const spec = specs[0];
    const url = spec?.rtspUrls.main ?? '';
    const { hostname, port } = new URL(url);
    const anonymous = await RawRtspClient.open(hostname, Number(port));
    const refused = await anonymous.request('DESCRIBE', url);
    anonymous.close();
    expect(refused.status).toBe(401);
    const credentials = await openCameraCredentials(api.deps.db, api.deps.vault, spec?.id ?? '');
    const challenge = parseDigestChallenge(refused.headers.get('www-authenticate'));
    expect(challenge).not.toBeNull();
    const client = await RawRtspClient.open(hostname, Number(port));
    try {
      const authorization = (method: string, uri: string) =>
        digestAuthorization(challenge as NonNullable<typeof challenge>, {
          username: credentials?.username ?? '',
          password: credentials?.password ?? '',
          method,
          uri,
        });
      const describe = await client.request('DESCRIBE', url, {
        Authorization: authorization('DESCRIBE', url),
      });
      expect(describe.status).toBe(200);
      expect(describe.body).toContain('H264/90000');
      const track = `${describe.headers.get('content-base') ?? `${url}/`}trackID=0`;
      const setup = await client.request('SETUP', track, {
        Authorization: authorization('SETUP', track),
        Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1',
      });
      expect(setup.status).toBe(200);
      const session = (setup.headers.get('session') ?? '').split(';')[0] ?? '';
      const play = await client.request('PLAY', url, {
        Authorization: authorization('PLAY', url),
        Session: session,
      });
      expect(play.status).toBe(200);
      const deadline = Date.now() + 5000;
      while (client.framesOn(0) < 25 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(client.framesOn(0)).toBeGreaterThanOrEqual(25);
    } finally {
      client.close();
    }
  });
});
