import { startAlertingService } from '../src/alerting-service.js';
import { CredentialVault } from '../src/cameras/credential-vault.js';
import { prepareDemoDatabase } from '../src/cli/prepare-database.js';
import { runCli } from '../src/cli/run-cli.js';
import { loadConfig } from '../src/config.js';
import { createPool } from '../src/db.js';
import { createDiscoveryWorker } from '../src/discovery/worker.js';
import { startApi } from '../src/http/server.js';
import { enqueueDueInventory } from '../src/inventory/schedule.js';
import { createInventoryWorker } from '../src/inventory/worker.js';
import { createLogger } from '../src/logger.js';
import { startPictureContext } from '../src/probing/picture-context.js';
import { createProbeWorker } from '../src/probing/worker.js';
import { closeOnSignals } from '../src/process-lifecycle.js';
import { bullConnection, createQueue, type InventoryJob, type ProbeJob, QUEUES } from '../src/queues.js';
import { DEMO_PASSWORD, DEMO_USERS } from '../src/seed/names.js';
import { startSimCounty } from './county.js';
import { demoFaults } from './demo-faults.js';
import { simSpecsFromRegistry } from './registry-specs.js';
import { startRtspForCounty } from './rtsp-for-county.js';

// `npm run demo`: the Pengyang county simulated on loopback addresses, and the service watching it —
// API, discovery, inventory, probe and alerting workers in this one process (production runs them as separate processes).
await runCli('demo', async () => {
  const loaded = loadConfig();
  // A newcomer should see a switched fault within minutes: the demo reads inventories every 2 minutes unless
  // told otherwise (production's default is hourly).
  const config = process.env.XUELIANG_INVENTORY_INTERVAL_SECONDS
    ? loaded
    : { ...loaded, onvif: { ...loaded.onvif, inventoryIntervalSeconds: 120 } };
  const log = createLogger(config.logLevel);
  await prepareDemoDatabase(config);

  const db = createPool(config.databaseUrl, log);
  const vault = new CredentialVault(config.credentialKeys);
  const specs = await simSpecsFromRegistry(db, vault);
  const sim = await startSimCounty({ cameras: specs, controlPort: config.http.port + 10 });
  const rtsp = await startRtspForCounty(sim, specs);
  for (const [id, faults] of demoFaults(specs.map((s) => s.id))) await sim.camera(id)?.setFaults(faults);

  const api = await startApi({ ...config, migrateOnStart: false });
  const ctx = { db, vault, config, log };
  const connection = bullConnection(config, 'demo-workers', log);
  const inventoryQueue = createQueue<InventoryJob>(config, QUEUES.inventory, connection, log);
  const discovery = createDiscoveryWorker(ctx, connection);
  const inventory = await createInventoryWorker(ctx, inventoryQueue, connection);
  const probeQueue = createQueue<ProbeJob>(config, QUEUES.probe, connection, log);
  const pictures = await startPictureContext(config, connection);
  const probe = await createProbeWorker({ ...ctx, picture: pictures.picture }, probeQueue, connection);
  const alerting = await startAlertingService(ctx, connection);
  // read every camera now rather than at the first scheduled tick
  await enqueueDueInventory(db, inventoryQueue, config.onvif.inventoryIntervalSeconds);

  console.log(`\nXueliang is watching ${specs.length} simulated cameras of Pengyang County.`);
  console.log(`  console    ${api.url}/   (the web console: sign in as one of the users below)`);
  console.log(`  API        ${api.url}   (OpenAPI: ${api.url}/docs)`);
  console.log(`  live 95%   ${api.url}/api/v1/availability/live?nodeId=<county id>   (probes every 10 s)`);
  console.log(
    `  alerts     ${api.url}/api/v1/alerts   (pushed live on the WebSocket ${api.url}/api/v1/live)`,
  );
  console.log(`  tickets    ${api.url}/api/v1/tickets`);
  console.log(`  video      ${api.url}/player?camera=<camera id>   (live, through the relay)`);
  console.log(`  simulator  ${sim.controlUrl}/cameras   (switch faults: PATCH /cameras/:id/faults)`);
  console.log(`Log in with POST ${api.url}/api/v1/auth/login as any of these, password '${DEMO_PASSWORD}':`);
  for (const u of DEMO_USERS) console.log(`  ${u.username.padEnd(22)} ${u.role}`);
  console.log('Ctrl-C stops it.\n');

  closeOnSignals(
    async () => {
      await Promise.allSettled([discovery.close(), inventory.close(), probe.close(), alerting.close()]);
      await Promise.allSettled([inventoryQueue.close(), probeQueue.close(), pictures.close()]);
      connection.disconnect();
      await api.close();
      await rtsp.close();
      await sim.close();
      await db.end();
    },
    (message) => console.log(message),
    20_000,
  );
});
