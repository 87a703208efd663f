import { generateSimCameraSpecs } from '../sim/camera-state.js';
import { startSimCounty } from '../sim/county.js';
import { expandCidrs } from '../src/discovery/cidr.js';
import { scanUnicast } from '../src/discovery/unicast-scan.js';
import { getSystemDateAndTime } from '../src/onvif/client.js';

// How long a unicast discovery scan of a /22 takes against the simulator: 1,022 addresses, 200 of them cameras.
// On loopback an address without a camera answers "port unreachable" at once; on a routed town network a dead
// address costs the full probe timeout, so the second figure estimates that case from the same settings.
const CAMERAS = 200;
const CONCURRENCY = 128;
const PROBE_TIMEOUT_MS = 1500;

const sim = await startSimCounty({ cameras: generateSimCameraSpecs({ count: CAMERAS, base: '127.70.0.1' }) });
try {
  const range = expandCidrs(['127.70.0.0/22']);
  if (!range.ok) throw new Error(range.reason);
  const started = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  const found = await scanUnicast({
    addresses: range.addresses,
    ports: [80],
    concurrency: CONCURRENCY,
    probeTimeoutMs: PROBE_TIMEOUT_MS,
    isOnvifService: (deviceUrl) =>
      getSystemDateAndTime({ deviceUrl, timeoutMs: PROBE_TIMEOUT_MS }).then(
        () => true,
        () => false,
      ),
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuStart);
  const deadAddresses = range.addresses.length - found.length;
  console.log(
    JSON.stringify({
      bench: 'scan',
      addresses: range.addresses.length,
      cameras: CAMERAS,
      found: found.length,
      seconds: Number(seconds.toFixed(2)),
      addresses_per_s: Math.round(range.addresses.length / seconds),
      cpu_seconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(2)),
      routed_network_estimate_seconds: Number(
        ((Math.ceil(deadAddresses / CONCURRENCY) * PROBE_TIMEOUT_MS * 2) / 1000).toFixed(1),
      ),
    }),
  );
} finally {
  await sim.close();
}
