import type { Logger } from 'pino';
import type { CredentialVault } from './cameras/credential-vault.js';
import type { Config } from './config.js';
import type { Db } from './db.js';
import type { CredentialHop } from './media/credential-hop.js';
import type { DecoderSlots } from './probing/decoder-slots.js';
import type { ProbeMetrics } from './probing/metrics.js';
import type { ProbeLeases } from './probing/probe-leases.js';

/** What a job handler's service needs: the database, the credential vault, the configuration and a logger. */
export interface WorkerContext {
  db: Db;
  vault: CredentialVault;
  config: Config;
  log: Logger;
  /** the probe workers' series, when this process serves metrics */
  probeMetrics?: ProbeMetrics;
  /** shard and camera leases: no two probes of one camera at once, across processes (absent: no guard) */
  leases?: ProbeLeases;
  /** for the picture layer: the loopback hop that gives ffmpeg camera credentials, and the decoder leases */
  picture?: { hop: CredentialHop; decoders: DecoderSlots; snapshotDir: string };
}
