import { startAlertingService } from '../src/alerting-service.js';
import { runWorkerProcess } from '../src/worker-process.js';

// One process of the alerting work — alerts, tickets, notifications: `npx tsx workers/alerting.ts`. Run two or
// more for availability: the parts take turns through Postgres locks and fixed job ids.
await runWorkerProcess('alerting', async (ctx, connection) => startAlertingService(ctx, connection));
