/** What the probes of a shard need to know of each camera, read from Postgres: addresses, credentials, flags. */
import type { CameraCredentials } from '../cameras/credential-vault.js';
import type { ComplianceFault } from '../health/types.js';
import { inventoryFlags } from '../inventory/findings.js';
import { socketHost } from '../url-host.js';
import type { WorkerContext } from '../worker-context.js';
import { shardOfSql } from './slots.js';

export interface ProbeTarget {
  id: string;
  name: string;
  url: string;
  username: string | undefined;
  password: string | undefined;
  compliance: ComplianceFault[] | undefined;
  /** failing, or down for want of frames: only the stream layer can tell it is back, so it runs every time */
  suspect: boolean;
  /** the stream the picture layer decodes: the sub stream when there is one (cheaper) */
  pictureUrl: string;
  /** where the network layer checks the ONVIF port, when the camera has an ONVIF address */
  onvif: { host: string; port: number } | null;
  lat: number | null;
  lon: number | null;
}

interface CameraRow {
  id: string;
  name: string;
  rtsp_main_url: string;
  credential_key_id: string | null;
  credential_cipher: Buffer | null;
  clock_offset_seconds: number | null;
  osd_texts: string[] | null;
  inventory_ok: boolean | null;
  suspect: boolean;
  rtsp_sub_url: string | null;
  onvif_url: string | null;
  lat: number | null;
  lon: number | null;
}

/**
 * The active cameras to probe: those of one shard (see shardOfSql), or one camera by id. Credentials are
 * opened here, in memory.
 */
export async function loadTargets(
  ctx: WorkerContext,
  which: { shard: number; shards: number } | { cameraId: string },
): Promise<ProbeTarget[]> {
  const filter =
    'cameraId' in which
      ? { sql: 'c.id = $1', values: [which.cameraId] }
      : { sql: `${shardOfSql('c.id', '$2')} = $1`, values: [which.shard, which.shards] };
  const { rows } = await ctx.db.query<CameraRow>(
    `SELECT c.id, c.name, c.rtsp_main_url, c.rtsp_sub_url, c.onvif_url, c.credential_key_id, c.credential_cipher,
            COALESCE(c.lat, county.lat) AS lat, COALESCE(c.lon, county.lon) AS lon,
            i.clock_offset_seconds, i.osd_texts, i.ok AS inventory_ok,
            COALESCE((h.memory->>'consecutiveFailures')::int > 0 OR (h.state = 'offline' AND h.reason = 'stream'), false)
              AS suspect
       FROM cameras c LEFT JOIN camera_inventory i ON i.camera_id = c.id
       LEFT JOIN camera_health h ON h.camera_id = c.id
       LEFT JOIN districts county ON county.kind = 'county'
      WHERE c.retired_at IS NULL AND c.rtsp_main_url IS NOT NULL AND c.commissioned_at <= now()
        AND ${filter.sql}`,
    filter.values,
  );
  const threshold = ctx.config.onvif.clockDriftThresholdSeconds;
  return rows.map((r) => {
    const creds =
      r.credential_key_id && r.credential_cipher
        ? openCredentials(ctx, r.id, r.credential_key_id, r.credential_cipher)
        : null;
    let compliance: ComplianceFault[] | undefined;
    if (r.inventory_ok) {
      const flags = inventoryFlags(
        {
          firmwareVersion: null,
          serialNumber: null,
          mainStreamUri: null,
          subStreamUri: null,
          clockOffsetSeconds: r.clock_offset_seconds,
          osdTexts: r.osd_texts,
        },
        r.name,
        threshold,
      );
      compliance = [
        ...(flags.clockDrift ? (['clock_drift'] as const) : []),
        ...(flags.osdMismatch ? (['osd_mismatch'] as const) : []),
      ];
    }
    return {
      id: r.id,
      name: r.name,
      url: r.rtsp_main_url,
      username: creds?.username,
      password: creds?.password,
      compliance,
      suspect: r.suspect,
      pictureUrl: r.rtsp_sub_url ?? r.rtsp_main_url,
      onvif: onvifEndpoint(r.onvif_url),
      lat: r.lat,
      lon: r.lon,
    };
  });
}

function onvifEndpoint(url: string | null): ProbeTarget['onvif'] {
  if (!url) return null;
  try {
    const u = new URL(url);
    return { host: socketHost(u), port: u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80 };
  } catch {
    return null;
  }
}

/**
 * Credentials opened once per sealed value, not on every slot: a camera's are needed every few seconds, and
 * a changed password is a new sealed value. Bounded by the cameras this process probes.
 */
const openedCredentials = new Map<string, { keyId: string; cipher: Buffer; creds: CameraCredentials }>();

function openCredentials(ctx: WorkerContext, cameraId: string, keyId: string, cipher: Buffer) {
  const known = openedCredentials.get(cameraId);
  if (known && known.keyId === keyId && known.cipher.equals(cipher)) return known.creds;
  const creds = ctx.vault.open(cameraId, { keyId, cipher });
  openedCredentials.set(cameraId, { keyId, cipher, creds });
  return creds;
}
