import { openCameraCredentials } from '../cameras/registry.js';
import { type Db, withTransaction } from '../db.js';
import { getDeviceInformation, getSystemDateAndTime } from '../onvif/client.js';
import type { WorkerContext } from '../worker-context.js';
import { expandCidrs } from './cidr.js';
import { probeMulticast } from './multicast-probe.js';
import { type FoundDevice, type Reconciled, type RegisteredCamera, reconcile } from './reconcile.js';
import { finishScan, getScan, recordProgress, startScan, writeResults } from './scans-repo.js';
import { type ScannedDevice, scanUnicast } from './unicast-scan.js';

export type ScanContext = WorkerContext;

const PROGRESS_EVERY_MS = 500;
const MULTICAST_WAIT_MS = 3000;

/**
 * Runs one discovery scan to the end: probe, read the serial of every device that claims to be a registered
 * camera (with that camera's own credentials, inside this process), reconcile, store the result list.
 * Idempotent: a retried job starts the scan again and replaces its results; a finished scan is left alone.
 */
export async function runScan(ctx: ScanContext, scanId: string): Promise<void> {
  if (!(await startScan(ctx.db, scanId))) return;
  const scan = await getScan(ctx.db, scanId);
  const abort = new AbortController();
  let probed = 0;
  let foundSoFar = 0;
  let reported = 0;
  const report = async () => {
    reported = Date.now();
    if (await recordProgress(ctx.db, scanId, probed, foundSoFar)) abort.abort();
  };
  try {
    let devices: ScannedDevice[];
    let scanned: Set<string> | null = null;
    if (scan.params.kind === 'unicast') {
      const expanded = expandCidrs(scan.params.cidrs);
      if (!expanded.ok) throw new Error(`cidrs.${expanded.index}: ${expanded.reason}`);
      scanned = new Set(expanded.addresses);
      const timeoutMs = ctx.config.discovery.probeTimeoutMs;
      devices = await scanUnicast({
        addresses: expanded.addresses,
        ports: scan.params.ports,
        concurrency: scan.params.concurrency,
        probeTimeoutMs: timeoutMs,
        signal: abort.signal,
        isOnvifService: (deviceUrl) =>
          getSystemDateAndTime({ deviceUrl, timeoutMs }).then(
            () => true,
            () => false,
          ),
        onProgress: (done, found) => {
          probed = done;
          foundSoFar = found;
          if (Date.now() - reported > PROGRESS_EVERY_MS) void report().catch(() => undefined);
        },
      });
    } else {
      devices = await probeMulticast(scan.params.interface, MULTICAST_WAIT_MS);
      probed = devices.length;
    }
    if (abort.signal.aborted) {
      await finishScan(ctx.db, scanId, 'cancelled');
      return;
    }
    const registered = await registeredCameras(ctx.db);
    const found = await withSerials(ctx, devices, registered);
    const results = reconcile(registered, found, scanned);
    await withTransaction(ctx.db, async (tx) => {
      await writeResults(tx, scanId, results, new Map(devices.map((d) => [d.address, d.scopes])));
      await tx.query('UPDATE discovery_scans SET probed = $2 WHERE id = $1', [
        scanId,
        scanned?.size ?? probed,
      ]);
    });
    await learnIdentities(ctx, results);
    await finishScan(ctx.db, scanId, 'done');
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    ctx.log.warn({ scanId, err: { message } }, 'discovery: scan failed');
    await finishScan(ctx.db, scanId, 'failed', message);
  }
}

async function registeredCameras(db: Db): Promise<RegisteredCamera[]> {
  const { rows } = await db.query<RegisteredCamera>(
    `SELECT id, host(ip) AS ip, endpoint_ref AS "endpointRef", serial_number AS "serialNumber"
       FROM cameras WHERE retired_at IS NULL`,
  );
  return rows;
}

const MOVE_CANDIDATES_PER_DEVICE = 16;

/**
 * Serial numbers of the devices that stand where, or claim to be what, a registered camera is — read with that
 * camera's own credentials. A device that matches nothing may be a registered camera that moved: it is asked
 * with the credentials of the registered cameras that did not answer at their own address, and recognised when
 * it reports the serial the registry holds.
 */
async function withSerials(
  ctx: ScanContext,
  devices: readonly ScannedDevice[],
  registered: readonly RegisteredCamera[],
): Promise<FoundDevice[]> {
  const byIp = new Map(registered.filter((c) => c.ip).map((c) => [c.ip, c]));
  const byRef = new Map(registered.filter((c) => c.endpointRef).map((c) => [c.endpointRef, c]));
  const answered = new Set(devices.map((d) => d.address));
  const silent = registered.filter((c) => c.serialNumber && c.ip && !answered.has(c.ip));
  const out: FoundDevice[] = [];
  for (const d of devices) {
    const camera = (d.endpointRef ? byRef.get(d.endpointRef) : undefined) ?? byIp.get(d.address);
    let serialNumber: string | null = null;
    if (camera && d.deviceUrl) {
      serialNumber = await serialWith(ctx, d.deviceUrl, camera.id);
    } else if (d.deviceUrl) {
      for (const candidate of silent.slice(0, MOVE_CANDIDATES_PER_DEVICE)) {
        const serial = await serialWith(ctx, d.deviceUrl, candidate.id);
        if (serial && serial === candidate.serialNumber) {
          serialNumber = serial;
          break;
        }
      }
    }
    out.push({ address: d.address, deviceUrl: d.deviceUrl, endpointRef: d.endpointRef, serialNumber });
  }
  return out;
}

async function serialWith(ctx: ScanContext, deviceUrl: string, cameraId: string): Promise<string | null> {
  const credentials = await openCameraCredentials(ctx.db, ctx.vault, cameraId).catch(() => null);
  return getDeviceInformation({
    deviceUrl,
    username: credentials?.username,
    password: credentials?.password,
    timeoutMs: ctx.config.onvif.timeoutMs,
  }).then(
    (info) => info.serialNumber || null,
    () => null,
  );
}

/** A known camera's wire identity is learnt from the scan, so that its next move is recognised at once. */
async function learnIdentities(ctx: ScanContext, results: readonly Reconciled[]): Promise<void> {
  for (const r of results) {
    if (r.match !== 'known') continue;
    await ctx.db.query(
      `UPDATE cameras SET endpoint_ref = COALESCE(endpoint_ref, $2), serial_number = COALESCE(serial_number, $3)
        WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM cameras o WHERE o.endpoint_ref = $2 AND o.id <> $1)`,
      [r.cameraId, r.device.endpointRef, r.device.serialNumber],
    );
  }
}
