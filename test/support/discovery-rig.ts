import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { generateSimCameraSpecs } from '../../sim/camera-state.js';
import { type SimCounty, startSimCounty } from '../../sim/county.js';
import { systemPrincipal } from '../../src/auth/policy.js';
import { createCamera } from '../../src/cameras/registry.js';
import { createDiscoveryWorker } from '../../src/discovery/worker.js';
import { bullConnection } from '../../src/queues.js';
import type { TestApi } from './harness.js';

/**
 * Two simulated ONVIF cameras on `range` (a /28 of loopback) and a discovery worker for `api`: sim-0001 at .1 is
 * unknown to the registry; sim-0002 is registered at .2 but answers from .12 — a scan finds one new and one moved.
 */
export interface DiscoveryRig {
  range: string;
  newAddress: string;
  movedFrom: string;
  movedTo: string;
  /** the registered camera that moved */
  movedCameraId: string;
  close(): Promise<void>;
}

export async function startDiscoveryRig(api: TestApi, net: string, siteId: string): Promise<DiscoveryRig> {
  const password = 'rig-password-1';
  const specs = generateSimCameraSpecs({ count: 2, base: `${net}.1`, password });
  const movedFrom = `${net}.2`;
  const movedTo = `${net}.12`;
  const sim: SimCounty = await startSimCounty({ cameras: specs });
  const connection: Redis = bullConnection(api.config, 'test-discovery-rig', api.deps.log);
  const worker: Worker = createDiscoveryWorker(
    { db: api.deps.db, vault: api.deps.vault, config: api.config, log: api.deps.log },
    connection,
  );
  const close = async () => {
    await worker.close();
    connection.disconnect();
    await sim.close();
  };
  try {
    const camera = await createCamera(
      api.deps.db,
      api.deps.vault,
      systemPrincipal,
      { timeZone: api.config.timeZone },
      {
        name: '搬迁的摄像机',
        siteId,
        gbCode: '64042500001320007190',
        ip: movedFrom,
        onvifUrl: `http://${movedFrom}/onvif/device_service`,
        rtspMainUrl: `rtsp://${movedFrom}:554/Streaming/Channels/101`,
        credentials: { username: 'admin', password },
      },
    );
    const movedCameraId = camera.id;
    // the scan recognises a moved camera by the serial the registry holds
    await api.deps.db.query('UPDATE cameras SET serial_number = $2 WHERE id = $1', [
      movedCameraId,
      specs[1]?.identity.serialNumber,
    ]);
    await sim.camera('sim-0002')?.setIdentity({ host: movedTo });
    return { range: `${net}.0/28`, newAddress: `${net}.1`, movedFrom, movedTo, movedCameraId, close };
  } catch (err) {
    await close();
    throw err;
  }
}
