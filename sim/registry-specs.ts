import type { CredentialVault } from '../src/cameras/credential-vault.js';
import type { Db } from '../src/db.js';
import type { SimCameraSpec } from './camera-state.js';

const MANUFACTURERS: Record<string, string> = {
  hikvision: 'HIKVISION',
  dahua: 'Dahua',
  uniview: 'UNIVIEW',
  tiandy: 'Tiandy',
  axis: 'AXIS',
};

interface CameraRow {
  id: string;
  name: string;
  vendor: string;
  model: string | null;
  ip: string;
  onvif_url: string | null;
  rtsp_main_url: string | null;
  rtsp_sub_url: string | null;
  gb_code: string;
  credential_key_id: string | null;
  credential_cipher: Buffer | null;
}

/**
 * One simulated camera for every registered camera on a loopback address: same address, ports, stream URLs,
 * credentials and on-screen label, so the service finds in the simulator exactly what its registry says.
 */
export async function simSpecsFromRegistry(db: Db, vault: CredentialVault): Promise<SimCameraSpec[]> {
  const { rows } = await db.query<CameraRow>(
    `SELECT id, name, vendor, model, host(ip) AS ip, onvif_url, rtsp_main_url, rtsp_sub_url, gb_code,
            credential_key_id, credential_cipher
       FROM cameras WHERE retired_at IS NULL AND ip << '127.0.0.0/8'::inet ORDER BY gb_code`,
  );
  return rows.map((c) => {
    const credentials =
      c.credential_key_id && c.credential_cipher
        ? vault.open(c.id, { keyId: c.credential_key_id, cipher: c.credential_cipher })
        : { username: 'admin', password: 'admin12345' };
    const onvifPort = c.onvif_url ? Number(new URL(c.onvif_url).port || 80) : 8000;
    return {
      id: c.id,
      host: c.ip,
      onvifPort,
      identity: {
        manufacturer: MANUFACTURERS[c.vendor] ?? 'IPC',
        model: c.model ?? 'IPC',
        firmwareVersion: 'V5.7.3 build 230506',
        serialNumber: `${(MANUFACTURERS[c.vendor] ?? 'IPC').slice(0, 2).toUpperCase()}${c.gb_code.slice(-9)}`,
        hardwareId: c.model ?? 'IPC',
      },
      credentials,
      // Hikvision and Dahua firmwares commonly answer with an HTTP Digest challenge as well
      authStyle: c.vendor === 'hikvision' || c.vendor === 'dahua' ? 'both' : 'ws-username-token',
      rtspUrls: {
        main: c.rtsp_main_url ?? `rtsp://${c.ip}:8554/main`,
        sub: c.rtsp_sub_url ?? `rtsp://${c.ip}:8554/sub`,
      },
      snapshotUrl: `http://${c.ip}:${onvifPort}/snapshot.jpg`,
      osdLabel: c.name,
      clockOffsetSeconds: 0,
    };
  });
}
