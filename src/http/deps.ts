import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { FeedHub } from '../alerting/feed-hub.js';
import type { Revocations } from '../auth/revocation.js';
import type { CredentialVault } from '../cameras/credential-vault.js';
import type { ProfileSet } from '../cameras/profiles.js';
import type { Config } from '../config.js';
import type { Db } from '../db.js';
import type { Metrics } from '../metrics.js';
import type { DiscoveryJob, NotifyJob } from '../queues.js';
import type { RelayService } from '../relay/cluster-service.js';

/** What the HTTP layer is given; built once by main.ts (or by a test). */
export interface Deps {
  config: Config;
  db: Db;
  redis: Redis;
  vault: CredentialVault;
  /** camera-profiles/*.yaml, loaded and validated once at start. */
  profiles: ProfileSet;
  revocations: Revocations;
  /** this instance's follower of the alert feed, for console sockets */
  alertFeed: FeedHub;
  metrics: Metrics;
  /** this instance's live relay: one upstream per camera county-wide, viewers, caps, audit */
  relay: RelayService;
  log: Logger;
  /** producers of the queues the API hands work to */
  queues: { discovery: Queue<DiscoveryJob>; notify: Queue<NotifyJob> };
}
