import { loadConfig } from '../config.js';
import { migrate } from '../migrate.js';
import { runCli } from './run-cli.js';

await runCli('migrate', async () => {
  const config = loadConfig();
  const { from, to } = await migrate(config.databaseUrl);
  console.log(from === to ? `migrate: schema at version ${to}, nothing to do` : `migrate: ${from} → ${to}`);
});
