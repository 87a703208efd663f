/**
 * Environment → typed configuration, read once at start-up.
 * A missing or malformed variable stops start-up with a message naming the variable and what it expects.
 */

import { hostname } from 'node:os';

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    expected: string,
    got: string | undefined,
  ) {
    super(`config: ${variable} must be ${expected}${got === undefined ? '' : ` (got '${got}')`}`);
    this.name = 'ConfigError';
  }
}

export interface CredentialKey {
  id: string;
  key: Buffer;
}

export interface Config {
  env: 'development' | 'test' | 'production';
  /** consoleDir: the built web console (`npm run build:console` writes it; XUELIANG_CONSOLE_DIR moves it). */
  http: { host: string; port: number; consoleDir: string | undefined };
  databaseUrl: string;
  redisUrl: string;
  redisPrefix: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  migrateOnStart: boolean;
  /** The key ring for camera credentials; the first one encrypts, all of them decrypt. */
  credentialKeys: CredentialKey[];
  sessionTtlSeconds: number;
  login: { maxAttempts: number; windowSeconds: number };
  timeZone: string;
  dependencyTimeoutMs: number;
  /** a worker process serves /metrics and /healthz on this loopback port (0: not at all) */
  workerMetricsPort: number;
  onvif: {
    /** deadline of one ONVIF call */
    timeoutMs: number;
    /** how often each camera's ONVIF inventory is read */
    inventoryIntervalSeconds: number;
    /** a camera clock further off than this is flagged (校时) */
    clockDriftThresholdSeconds: number;
  };
  discovery: { probeTimeoutMs: number; concurrency: number };
  alerting: {
    /** how often the alerting stage looks for health events when no nudge arrives */
    pollMs: number;
    /** how often each API instance reads the alert feed for its consoles when no nudge arrives */
    feedPollMs: number;
    /** cameras of one node going offline within this window fold into one group alert */
    groupWindowSeconds: number;
    /** a group needs at least this many cameras gone offline within the window… */
    groupMinCameras: number;
    /** …and, above a site, at least this share (percent) of the node's cameras offline */
    groupMinPercent: number;
    /** a camera refusing every probe for a full session (453/503) for this many slots raises a session-limit alert */
    sessionLimitSlots: number;
    /** the console's address, for the link in a notification */
    consoleUrl: string;
  };
  tickets: {
    /** how often tickets are opened, verified, closed and escalated */
    sweepSeconds: number;
    /** a repaired camera must stay healthy this long before its ticket closes */
    verifyHealthySeconds: number;
    /** a fault returning within this time after closing reopens the ticket */
    reopenWithinHours: number;
    /** repair photos: largest accepted upload */
    maxPhotoBytes: number;
  };
  reports: {
    /** how often the alerting worker checks that last month's availability report exists (and generates it) */
    monthlyCheckSeconds: number;
  };
  relay: {
    /** this API instance's name in leases and audit rows (default: host name and pid) */
    instanceId: string;
    /** where other API instances reach this one's relay (internal, never shown to users) */
    internalUrl: string;
    /** the upstream stops this long after its last viewer leaves */
    idleStopMs: number;
    /** no bytes from the camera for this long: the upstream is restarted */
    stallMs: number;
    /** restart backoff: first delay, doubled up to the max, with jitter */
    restartBaseMs: number;
    restartMaxMs: number;
    /** upstreams and H.265→H.264 transcodes on this instance */
    maxUpstreams: number;
    maxTranscodes: number;
    /** county-wide caps, kept in Redis */
    countyMaxUpstreams: number;
    countyMaxViewers: number;
    /** open viewers per user, county-wide */
    maxViewersPerUser: number;
    /** a viewer with more than this waiting to be sent skips ahead to the next keyframe */
    viewerMaxBufferBytes: number;
  };
  notify: {
    /** deadline of one delivery */
    timeoutMs: number;
    /** a notification still failing this long after it was first due goes to the dead-letter list */
    maxAgeSeconds: number;
    /** first retry delay; doubles up to maxBackoffMs */
    backoffMs: number;
    maxBackoffMs: number;
  };
  probe: {
    /** one slot: every camera's handshake is probed once per interval */
    intervalMs: number;
    /** cameras are split into this many shards, one job per shard per slot */
    shards: number;
    /** probes in flight at once per shard job */
    concurrency: number;
    /** deadline of one probe (connect + RTSP, or the stream window) */
    timeoutMs: number;
    /** how long the stream layer watches frames arrive */
    streamWindowMs: number;
    /** how long raw probe results are kept */
    retentionDays: number;
    /** a shard job whose worker stops answering for this long is taken over by another worker */
    lockMs: number;
    /** the stream layer runs every Nth slot of a camera, the picture layer every Mth */
    streamEvery: number;
    pictureEvery: number;
    /** picture decoders at once on one machine, over all its worker processes */
    maxDecoders: number;
  };
}

type Env = Record<string, string | undefined>;

/** A well-known development key. Production refuses to start with it. */
const DEV_CREDENTIAL_KEYS = 'dev1:eHVlbGlhbmctZGV2LWtleS1ub3QtZm9yLXByb2QhISE=';

function read(env: Env, name: string, fallback: string): string {
  const value = env[name];
  return value === undefined || value === '' ? fallback : value;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^-?\d+$/.test(raw.trim()) || value < min || value > max) {
    throw new ConfigError(name, `an integer from ${min} to ${max}`, raw);
  }
  return value;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes'].includes(raw.toLowerCase())) return true;
  if (['0', 'false', 'no'].includes(raw.toLowerCase())) return false;
  throw new ConfigError(name, "'true' or 'false'", raw);
}

function oneOf<T extends string>(env: Env, name: string, fallback: T, allowed: readonly T[]): T {
  const raw = read(env, name, fallback);
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(name, `one of ${allowed.join(', ')}`, raw);
  }
  return raw as T;
}

function url(env: Env, name: string, fallback: string, protocols: string[]): string {
  const raw = read(env, name, fallback);
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    // Never echo the value: a URL may carry a password.
    throw new ConfigError(name, `a URL (${protocols.join(' or ')})`, undefined);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `a URL (${protocols.join(' or ')})`, parsed.protocol);
  }
  return raw;
}

/** "id:base64key,id2:base64key2" — each key exactly 32 bytes (AES-256). */
export function parseCredentialKeys(name: string, raw: string): CredentialKey[] {
  const keys = raw.split(',').map((part) => {
    const [id, b64, extra] = part.trim().split(':');
    if (!id || !b64 || extra !== undefined || !/^[A-Za-z0-9_-]{1,32}$/.test(id)) {
      throw new ConfigError(name, "a list 'keyId:base64Key,…'", undefined);
    }
    const key = Buffer.from(b64, 'base64');
    if (key.length !== 32) {
      throw new ConfigError(name, `keys of 32 bytes in base64 (key '${id}' has ${key.length})`, undefined);
    }
    return { id, key };
  });
  const ids = new Set(keys.map((k) => k.id));
  if (ids.size !== keys.length) throw new ConfigError(name, 'a list with distinct key ids', undefined);
  return keys;
}

function timeZone(env: Env, name: string, fallback: string): string {
  const raw = read(env, name, fallback);
  try {
    new Intl.DateTimeFormat('en', { timeZone: raw });
  } catch {
    throw new ConfigError(name, 'an IANA time zone such as Asia/Shanghai', raw);
  }
  return raw;
}

export function loadConfig(env: Env = process.env): Config {
  const mode = oneOf(env, 'NODE_ENV', 'development', ['development', 'test', 'production'] as const);
  const keysRaw = read(env, 'XUELIANG_CREDENTIAL_KEYS', mode === 'production' ? '' : DEV_CREDENTIAL_KEYS);
  if (keysRaw === '') throw new ConfigError('XUELIANG_CREDENTIAL_KEYS', 'set in production', undefined);
  if (mode === 'production' && keysRaw === DEV_CREDENTIAL_KEYS) {
    throw new ConfigError(
      'XUELIANG_CREDENTIAL_KEYS',
      'a key of your own in production, not the dev key',
      undefined,
    );
  }
  return {
    env: mode,
    http: {
      host: read(env, 'XUELIANG_HTTP_HOST', '127.0.0.1'),
      port: integer(env, 'XUELIANG_HTTP_PORT', 8080, 0, 65535),
      consoleDir: env.XUELIANG_CONSOLE_DIR || undefined,
    },
    databaseUrl: url(env, 'DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/xueliang', [
      'postgres:',
      'postgresql:',
    ]),
    redisUrl: url(env, 'REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:']),
    redisPrefix: read(env, 'XUELIANG_REDIS_PREFIX', 'xueliang:'),
    logLevel: oneOf(env, 'LOG_LEVEL', mode === 'test' ? 'silent' : 'info', [
      'fatal',
      'error',
      'warn',
      'info',
      'debug',
      'trace',
      'silent',
    ] as const),
    migrateOnStart: boolean(env, 'XUELIANG_MIGRATE_ON_START', true),
    credentialKeys: parseCredentialKeys('XUELIANG_CREDENTIAL_KEYS', keysRaw),
    sessionTtlSeconds: integer(env, 'XUELIANG_SESSION_TTL_SECONDS', 12 * 3600, 60, 30 * 86400),
    login: {
      maxAttempts: integer(env, 'XUELIANG_LOGIN_MAX_ATTEMPTS', 10, 1, 10000),
      windowSeconds: integer(env, 'XUELIANG_LOGIN_WINDOW_SECONDS', 60, 1, 86400),
    },
    timeZone: timeZone(env, 'XUELIANG_TIME_ZONE', 'Asia/Shanghai'),
    dependencyTimeoutMs: integer(env, 'XUELIANG_DEPENDENCY_TIMEOUT_MS', 2000, 100, 60000),
    workerMetricsPort: integer(env, 'XUELIANG_WORKER_METRICS_PORT', 0, 0, 65535),
    onvif: {
      timeoutMs: integer(env, 'XUELIANG_ONVIF_TIMEOUT_MS', 5000, 100, 120000),
      inventoryIntervalSeconds: integer(env, 'XUELIANG_INVENTORY_INTERVAL_SECONDS', 3600, 10, 7 * 86400),
      clockDriftThresholdSeconds: integer(env, 'XUELIANG_CLOCK_DRIFT_THRESHOLD_SECONDS', 10, 1, 86400),
    },
    probe: {
      intervalMs: integer(env, 'XUELIANG_PROBE_INTERVAL_MS', 10_000, 1000, 3_600_000),
      shards: integer(env, 'XUELIANG_PROBE_SHARDS', 64, 1, 4096),
      concurrency: integer(env, 'XUELIANG_PROBE_CONCURRENCY', 256, 1, 10_000),
      timeoutMs: integer(env, 'XUELIANG_PROBE_TIMEOUT_MS', 3000, 100, 60_000),
      streamWindowMs: integer(env, 'XUELIANG_PROBE_STREAM_WINDOW_MS', 2000, 200, 30_000),
      retentionDays: integer(env, 'XUELIANG_PROBE_RETENTION_DAYS', 3, 1, 365),
      lockMs: integer(env, 'XUELIANG_PROBE_LOCK_MS', 30_000, 2000, 600_000),
      streamEvery: integer(env, 'XUELIANG_PROBE_STREAM_EVERY', 6, 1, 10_000),
      pictureEvery: integer(env, 'XUELIANG_PROBE_PICTURE_EVERY', 60, 1, 100_000),
      maxDecoders: integer(env, 'XUELIANG_MAX_DECODERS', 4, 0, 256),
    },
    discovery: {
      probeTimeoutMs: integer(env, 'XUELIANG_DISCOVERY_PROBE_TIMEOUT_MS', 1500, 50, 30000),
      concurrency: integer(env, 'XUELIANG_DISCOVERY_CONCURRENCY', 128, 1, 4096),
    },
    alerting: {
      pollMs: integer(env, 'XUELIANG_ALERT_POLL_MS', 1000, 50, 60_000),
      feedPollMs: integer(env, 'XUELIANG_FEED_POLL_MS', 2000, 50, 60_000),
      groupWindowSeconds: integer(env, 'XUELIANG_ALERT_GROUP_WINDOW_SECONDS', 120, 1, 3600),
      groupMinCameras: integer(env, 'XUELIANG_ALERT_GROUP_MIN_CAMERAS', 2, 2, 10_000),
      groupMinPercent: integer(env, 'XUELIANG_ALERT_GROUP_MIN_PERCENT', 50, 1, 100),
      sessionLimitSlots: integer(env, 'XUELIANG_ALERT_SESSION_LIMIT_SLOTS', 6, 1, 1000),
      consoleUrl: url(env, 'XUELIANG_CONSOLE_URL', 'http://127.0.0.1:8080', ['http:', 'https:']),
    },
    tickets: {
      sweepSeconds: integer(env, 'XUELIANG_TICKET_SWEEP_SECONDS', 30, 1, 3600),
      verifyHealthySeconds: integer(env, 'XUELIANG_TICKET_VERIFY_HEALTHY_SECONDS', 1800, 1, 7 * 86400),
      reopenWithinHours: integer(env, 'XUELIANG_TICKET_REOPEN_WITHIN_HOURS', 72, 0, 90 * 24),
      maxPhotoBytes: integer(env, 'XUELIANG_TICKET_MAX_PHOTO_BYTES', 5 * 1024 * 1024, 1024, 50 * 1024 * 1024),
    },
    reports: {
      monthlyCheckSeconds: integer(env, 'XUELIANG_MONTHLY_REPORT_CHECK_SECONDS', 3600, 1, 86400),
    },
    relay: {
      instanceId: read(env, 'XUELIANG_INSTANCE_ID', `${hostname()}-${process.pid}`),
      internalUrl: url(
        env,
        'XUELIANG_RELAY_INTERNAL_URL',
        `http://${read(env, 'XUELIANG_HTTP_HOST', '127.0.0.1')}:${read(env, 'XUELIANG_HTTP_PORT', '8080')}`,
        ['http:', 'https:'],
      ),
      idleStopMs: integer(env, 'XUELIANG_RELAY_IDLE_STOP_MS', 30_000, 0, 3_600_000),
      stallMs: integer(env, 'XUELIANG_RELAY_STALL_MS', 5000, 500, 120_000),
      restartBaseMs: integer(env, 'XUELIANG_RELAY_RESTART_BASE_MS', 1000, 10, 60_000),
      restartMaxMs: integer(env, 'XUELIANG_RELAY_RESTART_MAX_MS', 30_000, 10, 600_000),
      maxUpstreams: integer(env, 'XUELIANG_RELAY_MAX_UPSTREAMS', 64, 0, 10_000),
      maxTranscodes: integer(env, 'XUELIANG_RELAY_MAX_TRANSCODES', 2, 0, 256),
      countyMaxUpstreams: integer(env, 'XUELIANG_RELAY_COUNTY_MAX_UPSTREAMS', 512, 0, 100_000),
      countyMaxViewers: integer(env, 'XUELIANG_RELAY_COUNTY_MAX_VIEWERS', 2000, 0, 1_000_000),
      maxViewersPerUser: integer(env, 'XUELIANG_RELAY_MAX_VIEWERS_PER_USER', 16, 1, 1000),
      viewerMaxBufferBytes: integer(
        env,
        'XUELIANG_RELAY_VIEWER_MAX_BUFFER_BYTES',
        4 << 20,
        64 << 10,
        256 << 20,
      ),
    },
    notify: {
      timeoutMs: integer(env, 'XUELIANG_NOTIFY_TIMEOUT_MS', 5000, 100, 60_000),
      maxAgeSeconds: integer(env, 'XUELIANG_NOTIFY_MAX_AGE_SECONDS', 24 * 3600, 1, 30 * 86400),
      backoffMs: integer(env, 'XUELIANG_NOTIFY_BACKOFF_MS', 2000, 10, 3_600_000),
      maxBackoffMs: integer(env, 'XUELIANG_NOTIFY_MAX_BACKOFF_MS', 300_000, 10, 86_400_000),
    },
  };
}
