import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import type { Config } from '../config.js';
import { startCredentialHop } from '../media/credential-hop.js';
import { DecoderSlots } from './decoder-slots.js';

/**
 * What the picture layer needs in a worker process: the loopback credential hop (ffmpeg never sees a password),
 * the machine-wide decoder leases, and a private scratch directory for snapshots on their way to Postgres.
 */
export async function startPictureContext(config: Config, redis: Redis) {
  const hop = await startCredentialHop({ host: '127.0.0.1' });
  const snapshotDir = await mkdtemp(join(tmpdir(), 'xueliang-snapshots-'));
  const decoders = new DecoderSlots(redis, config.redisPrefix, config.probe.maxDecoders, 60_000);
  return {
    picture: { hop, decoders, snapshotDir },
    close: async () => {
      await hop.close();
      await rm(snapshotDir, { recursive: true, force: true });
    },
  };
}
