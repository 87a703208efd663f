import { audit } from '../audit.js';
import type { Principal } from '../auth/policy.js';
import type { DbClient, Queryable } from '../db.js';
import { NotFoundError } from '../errors.js';
import { listPage, type Page, Params } from '../sql.js';
import type { Reconciled } from './reconcile.js';

export type ScanStatus = 'queued' | 'running' | 'done' | 'cancelled' | 'failed';
export type ScanParams =
  | { kind: 'unicast'; cidrs: string[]; ports: number[]; concurrency: number }
  | { kind: 'multicast'; interface: string };

export interface Scan {
  id: string;
  kind: 'unicast' | 'multicast';
  params: ScanParams;
  districtId: string | null;
  status: ScanStatus;
  cancelRequested: boolean;
  progress: { total: number; probed: number; found: number };
  error: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

interface ScanRow {
  id: string;
  kind: 'unicast' | 'multicast';
  params: ScanParams;
  district_id: string | null;
  status: ScanStatus;
  cancel_requested: boolean;
  total: number;
  probed: number;
  found: number;
  error: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

const toScan = (r: ScanRow): Scan => ({
  id: r.id,
  kind: r.kind,
  params: r.params,
  districtId: r.district_id,
  status: r.status,
  cancelRequested: r.cancel_requested,
  progress: { total: r.total, probed: r.probed, found: r.found },
  error: r.error,
  createdAt: r.created_at,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
});

export async function createScan(
  db: Queryable,
  who: Principal,
  params: ScanParams,
  districtId: string | null,
  total: number,
): Promise<Scan> {
  const { rows } = await db.query<ScanRow>(
    `INSERT INTO discovery_scans (kind, params, district_id, total, requested_by)
     VALUES ($1, $2, $3, $4, $5) RETURNING *`,
    [params.kind, params, districtId, total, who.userId],
  );
  const scan = toScan(rows[0] as ScanRow);
  await audit(db, who, 'scan', 'discovery_scan', scan.id, { kind: params.kind });
  return scan;
}

export async function getScan(db: Queryable, id: string): Promise<Scan> {
  const { rows } = await db.query<ScanRow>('SELECT * FROM discovery_scans WHERE id = $1', [id]);
  if (!rows[0]) throw new NotFoundError('discovery scan', id);
  return toScan(rows[0]);
}

export function listScans(db: Queryable, page: Page) {
  return listPage<ScanRow, Scan>(db, {
    select: 's.*',
    from: 'discovery_scans s',
    where: [],
    orderBy: 's.created_at DESC',
    params: new Params(),
    page,
    map: toScan,
  });
}

/** Claims a scan for running; false when it is already finished or cancelled (a retried or duplicate job). */
export async function startScan(db: Queryable, id: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE discovery_scans SET status = 'running', started_at = COALESCE(started_at, now()), probed = 0, found = 0
      WHERE id = $1 AND status IN ('queued', 'running') AND NOT cancel_requested`,
    [id],
  );
  if (rowCount === 0) {
    await db.query(
      `UPDATE discovery_scans SET status = 'cancelled', finished_at = now()
        WHERE id = $1 AND cancel_requested AND status IN ('queued', 'running')`,
      [id],
    );
  }
  return rowCount === 1;
}

export async function recordProgress(
  db: Queryable,
  id: string,
  probed: number,
  found: number,
): Promise<boolean> {
  const { rows } = await db.query<{ cancel_requested: boolean }>(
    'UPDATE discovery_scans SET probed = $2, found = $3 WHERE id = $1 RETURNING cancel_requested',
    [id, probed, found],
  );
  return rows[0]?.cancel_requested ?? true;
}

export async function finishScan(db: Queryable, id: string, status: ScanStatus, error: string | null = null) {
  await db.query('UPDATE discovery_scans SET status = $2, error = $3, finished_at = now() WHERE id = $1', [
    id,
    status,
    error,
  ]);
}

/** Cancels a queued scan at once; a running one stops at its next progress report. */
export async function requestCancel(db: Queryable, who: Principal, id: string): Promise<Scan> {
  const { rows } = await db.query<ScanRow>(
    `UPDATE discovery_scans
        SET cancel_requested = true,
            status = CASE WHEN status = 'queued' THEN 'cancelled'::scan_status ELSE status END,
            finished_at = CASE WHEN status = 'queued' THEN now() ELSE finished_at END
      WHERE id = $1 RETURNING *`,
    [id],
  );
  if (!rows[0]) throw new NotFoundError('discovery scan', id);
  await audit(db, who, 'cancel', 'discovery_scan', id);
  return toScan(rows[0]);
}

/** Replaces the scan's result list (a retried job writes it again, never twice). */
export async function writeResults(
  tx: DbClient,
  scanId: string,
  results: readonly Reconciled[],
  scopes: Map<string, string[]>,
) {
  await tx.query('DELETE FROM discovered_devices WHERE scan_id = $1', [scanId]);
  for (const r of results) {
    const device = r.match === 'missing' ? null : r.device;
    await tx.query(
      `INSERT INTO discovered_devices (scan_id, address, device_url, endpoint_ref, scopes, serial_number, match,
                                       camera_id, previous_address)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        scanId,
        r.match === 'missing' ? r.address : r.device.address,
        device?.deviceUrl ?? null,
        device?.endpointRef ?? null,
        device ? (scopes.get(device.address) ?? []) : [],
        device?.serialNumber ?? null,
        r.match,
        'cameraId' in r ? r.cameraId : null,
        r.match === 'moved' ? r.previousAddress : null,
      ],
    );
  }
  await tx.query(
    `UPDATE discovery_scans SET found = (SELECT count(*) FROM discovered_devices WHERE scan_id = $1 AND match <> 'missing')
      WHERE id = $1`,
    [scanId],
  );
}
