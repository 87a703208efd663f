import type { RtspCameraView, RtspFaults } from '../../sim/rtsp/fault-view.js';
import { NO_FAULTS } from '../../sim/rtsp/fault-view.js';
import { type LightRtspServer, startLightRtspServer } from '../../sim/rtsp/light-server.js';
import type { CredentialVault } from '../../src/cameras/credential-vault.js';
import type { Db } from '../../src/db.js';

export const RTSP_PASSWORD = 'Probe:p@ss/%7';

export interface RtspCounty {
  server: LightRtspServer;
  cameraIds: string[];
  faults: Map<string, RtspFaults>;
  setFaults(cameraId: string, patch: Partial<RtspFaults>): void;
}

/**
 * `count` cameras registered on one site, each streaming from the light RTSP responder on `host` with Digest
 * credentials sealed in the registry — what the probe workers read.
 */
export async function startRtspCounty(
  db: Db,
  vault: CredentialVault,
  siteId: string,
  count: number,
  host: string,
) {
  const faults = new Map<string, RtspFaults>();
  const ids = Array.from({ length: count }, () => crypto.randomUUID());
  const views: RtspCameraView[] = ids.map((id) => {
    faults.set(id, { ...NO_FAULTS });
    return {
      id,
      path: `/cam/${id}/main`,
      username: 'admin',
      password: RTSP_PASSWORD,
      auth: 'digest',
      faults: () => faults.get(id) ?? NO_FAULTS,
    };
  });
  const server = await startLightRtspServer({ host, port: 0, cameras: views });
  const sealed = ids.map((id) => vault.seal(id, { username: 'admin', password: RTSP_PASSWORD }));
  await db.query(
    `INSERT INTO cameras (id, site_id, name, gb_code, rtsp_main_url, credential_key_id, credential_cipher, commissioned_at)
     SELECT id, $2, 'RTSP ' || n, '6404250000131' || lpad(n::text, 7, '0'), url, key_id, cipher, now() - interval '1 day'
       FROM unnest($1::uuid[], $3::text[], $4::text[], $5::bytea[]) WITH ORDINALITY AS t(id, url, key_id, cipher, n)`,
    [ids, siteId, ids.map((id) => server.url(id)), sealed.map((s) => s.keyId), sealed.map((s) => s.cipher)],
  );
  return {
    server,
    cameraIds: ids,
    faults,
    setFaults: (cameraId: string, patch: Partial<RtspFaults>) => {
      faults.set(cameraId, { ...(faults.get(cameraId) ?? NO_FAULTS), ...patch });
    },
  } satisfies RtspCounty;
}
