import { createInventoryWorker } from '../src/inventory/worker.js';
import { createQueue, type InventoryJob, QUEUES } from '../src/queues.js';
import { runWorkerProcess } from '../src/worker-process.js';

// One process of the inventory queue (the periodic ONVIF reads): `npx tsx workers/inventory.ts`.
await runWorkerProcess('inventory', async (ctx, connection) => {
  const queue = createQueue<InventoryJob>(ctx.config, QUEUES.inventory, connection, ctx.log);
  const worker = await createInventoryWorker(ctx, queue, connection);
  return {
    close: async () => {
      await worker.close();
      await queue.close();
    },
  };
});
