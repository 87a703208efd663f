import { createDiscoveryWorker } from '../src/discovery/worker.js';
import { runWorkerProcess } from '../src/worker-process.js';

// One process of the discovery queue: `npx tsx workers/discovery.ts`. Run as many as the county needs.
await runWorkerProcess('discovery', async (ctx, connection) => createDiscoveryWorker(ctx, connection));
