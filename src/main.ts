import { runCli } from './cli/run-cli.js';
import { loadConfig } from './config.js';
import { startApi } from './http/server.js';
import { closeOnSignals } from './process-lifecycle.js';

await runCli('api', async () => {
  const api = await startApi(loadConfig());
  api.app.log.info({ url: api.url }, 'xueliang api listening');
  closeOnSignals(api.close, (message) => api.app.log.info(message));
});
