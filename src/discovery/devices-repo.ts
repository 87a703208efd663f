import { audit } from '../audit.js';
import type { Principal } from '../auth/policy.js';
import type { CameraCredentials, CredentialVault } from '../cameras/credential-vault.js';
import { type Camera, type CameraScope, createCamera, getCamera } from '../cameras/registry.js';
import { type Db, type Queryable, withTransaction } from '../db.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { listPage, type Page, Params } from '../sql.js';

export type DiscoveryMatch = 'new' | 'known' | 'moved' | 'serial_changed' | 'missing';

export interface DiscoveredDevice {
  id: string;
  scanId: string;
  address: string;
  deviceUrl: string | null;
  endpointRef: string | null;
  scopes: string[];
  serialNumber: string | null;
  match: DiscoveryMatch;
  cameraId: string | null;
  previousAddress: string | null;
  adoptedAt: Date | null;
  seenAt: Date;
}

interface DeviceRow {
  id: string;
  scan_id: string;
  address: string;
  device_url: string | null;
  endpoint_ref: string | null;
  scopes: string[];
  serial_number: string | null;
  match: DiscoveryMatch;
  camera_id: string | null;
  previous_address: string | null;
  adopted_at: Date | null;
  seen_at: Date;
}

const COLUMNS = `d.id, d.scan_id, host(d.address) AS address, d.device_url, d.endpoint_ref, d.scopes, d.serial_number,
  d.match, d.camera_id, host(d.previous_address) AS previous_address, d.adopted_at, d.seen_at`;

const toDevice = (r: DeviceRow): DiscoveredDevice => ({
  id: r.id,
  scanId: r.scan_id,
  address: r.address,
  deviceUrl: r.device_url,
  endpointRef: r.endpoint_ref,
  scopes: r.scopes,
  serialNumber: r.serial_number,
  match: r.match,
  cameraId: r.camera_id,
  previousAddress: r.previous_address,
  adoptedAt: r.adopted_at,
  seenAt: r.seen_at,
});

export function listDevices(db: Queryable, scanId: string, filter: { match?: DiscoveryMatch }, page: Page) {
  const params = new Params();
  const where = [`d.scan_id = ${params.p(scanId)}`];
  if (filter.match) where.push(`d.match = ${params.p(filter.match)}`);
  return listPage<DeviceRow, DiscoveredDevice>(db, {
    select: COLUMNS,
    from: 'discovered_devices d',
    where,
    orderBy: 'd.address',
    params,
    page,
    map: toDevice,
  });
}

export async function getDevice(db: Queryable, id: string, lock = false): Promise<DiscoveredDevice> {
  const { rows } = await db.query<DeviceRow>(
    `SELECT ${COLUMNS} FROM discovered_devices d WHERE d.id = $1 ${lock ? 'FOR UPDATE' : ''}`,
    [id],
  );
  if (!rows[0]) throw new NotFoundError('discovered device', id);
  return toDevice(rows[0]);
}

export interface AdoptInput {
  siteId: string;
  name: string;
  gbCode: string;
  vendor?: string;
  credentials?: CameraCredentials | null;
}

/** Registers a newly found device as a camera on a site of the tree. */
export async function adoptDevice(
  db: Db,
  vault: CredentialVault,
  who: Principal,
  scope: CameraScope,
  deviceId: string,
  input: AdoptInput,
): Promise<Camera> {
  const device = await getDevice(db, deviceId);
  if (device.match !== 'new')
    throw new ConflictError(`device ${deviceId} is '${device.match}', not new`, 'match');
  if (device.adoptedAt) throw new ConflictError(`device ${deviceId} was adopted already`);
  const camera = await createCamera(db, vault, who, scope, {
    ...input,
    ip: device.address,
    onvifUrl: device.deviceUrl,
  });
  await withTransaction(db, async (tx) => {
    await tx.query('UPDATE cameras SET endpoint_ref = $2, serial_number = $3 WHERE id = $1', [
      camera.id,
      device.endpointRef,
      device.serialNumber,
    ]);
    const { rowCount } = await tx.query(
      'UPDATE discovered_devices SET adopted_at = now(), camera_id = $2 WHERE id = $1 AND adopted_at IS NULL',
      [deviceId, camera.id],
    );
    if (rowCount === 0) throw new ConflictError(`device ${deviceId} was adopted already`);
    await audit(tx, who, 'adopt', 'discovered_device', deviceId, { cameraId: camera.id });
  });
  return camera;
}

/**
 * Accepts that a registered camera now answers from another address: its IP, device URL and the host of its
 * stream URLs follow it.
 */
export async function acceptMove(
  db: Db,
  who: Principal,
  scope: CameraScope,
  deviceId: string,
): Promise<Camera> {
  return withTransaction(db, async (tx) => {
    const device = await getDevice(tx, deviceId, true);
    if (device.match !== 'moved' || !device.cameraId) {
      throw new ConflictError(`device ${deviceId} is '${device.match}', not moved`, 'match');
    }
    if (device.adoptedAt) throw new ConflictError(`the move of device ${deviceId} was accepted already`);
    const old = device.previousAddress;
    await tx.query(
      `UPDATE cameras SET ip = $2::inet, onvif_url = COALESCE($3, onvif_url),
              rtsp_main_url = CASE WHEN $4::text IS NULL THEN rtsp_main_url
                ELSE regexp_replace(rtsp_main_url, '^(rtsps?://)' || replace($4, '.', '\\.') || '([:/]|$)', '\\1' || host($2::inet) || '\\2') END,
              rtsp_sub_url = CASE WHEN $4::text IS NULL THEN rtsp_sub_url
                ELSE regexp_replace(rtsp_sub_url, '^(rtsps?://)' || replace($4, '.', '\\.') || '([:/]|$)', '\\1' || host($2::inet) || '\\2') END
        WHERE id = $1`,
      [device.cameraId, device.address, device.deviceUrl, old],
    );
    await tx.query('UPDATE discovered_devices SET adopted_at = now() WHERE id = $1', [deviceId]);
    await audit(tx, who, 'accept-move', 'camera', device.cameraId, { from: old, to: device.address });
    return getCamera(tx, who, scope, device.cameraId);
  });
}
