import { startPictureContext } from '../src/probing/picture-context.js';
import { createProbeWorker } from '../src/probing/worker.js';
import { createQueue, type ProbeJob, QUEUES } from '../src/queues.js';
import { runWorkerProcess } from '../src/worker-process.js';

// One process of the probe queue: `npx tsx workers/probe.ts`. Run several, on several hosts: shards and slots
// are claimed through Redis and Postgres, so no camera is probed twice in one slot.
await runWorkerProcess('probe', async (ctx, connection) => {
  const queue = createQueue<ProbeJob>(ctx.config, QUEUES.probe, connection, ctx.log);
  const pictures = await startPictureContext(ctx.config, connection);
  const worker = await createProbeWorker({ ...ctx, picture: pictures.picture }, queue, connection);
  return {
    close: async () => {
      await worker.close();
      await queue.close();
      await pictures.close();
    },
  };
});
