/**
 * The alerting stage: reads the health events the probe workers commit, turns them into alerts (deduplicated,
 * grouped) and feed entries, and moves its cursor in the same transaction — so a crash or restart neither
 * loses an event nor raises an alert twice. One process runs it at a time (an advisory lock); any number may
 * try. It wakes on a nudge from the probe workers and polls as a fallback.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { type Db, type DbClient, withTransaction } from '../db.js';
import { SerialRunner } from '../serial-runner.js';
import { AlertWriter } from './alert-writer.js';
import { appendFeed, nudgeFeed } from './feed-repo.js';
import { committedHighWater, healthEventsChannel, readHealthEvents } from './health-events.js';
import { loadAlertRules } from './rules-repo.js';
import { sessionLimitChanges } from './session-limit.js';

const STAGE_LOCK = 0x78_6c_61_73; // 'xlas'
const BATCH = 2000;

export interface StageDeps {
  db: Db;
  config: Config;
  log: Logger;
}

export interface StageRun {
  events: number;
  lastFeedId: number | null;
  /** more events are waiting: run again at once */
  more: boolean;
}

async function readCursor(tx: DbClient, stage: string): Promise<number> {
  await tx.query('INSERT INTO stage_cursors (stage, last_id) VALUES ($1, 0) ON CONFLICT DO NOTHING', [stage]);
  const { rows } = await tx.query<{ last_id: string }>(
    'SELECT last_id FROM stage_cursors WHERE stage = $1 FOR UPDATE',
    [stage],
  );
  return Number(rows[0]?.last_id ?? 0);
}

/**
 * One pass: the events committed since the cursor (at most one batch), and — when `checkSessions` — the
 * cameras whose every probe was refused for lack of a free session. Returns what it did.
 */
export async function runAlertStageOnce(
  deps: StageDeps,
  opts: { checkSessions?: boolean; now?: Date } = {},
): Promise<StageRun> {
  const highWater = await committedHighWater(deps.db);
  return withTransaction(deps.db, async (tx) => {
    const { rows } = await tx.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS ok', [
      STAGE_LOCK,
    ]);
    if (!rows[0]?.ok) return { events: 0, lastFeedId: null, more: false };
    const cursor = await readCursor(tx, 'alerts');
    const events = cursor < highWater ? await readHealthEvents(tx, cursor, highWater, BATCH) : [];
    const { alerting } = deps.config;
    const writer = new AlertWriter(tx, await loadAlertRules(tx), {
      windowMs: alerting.groupWindowSeconds * 1000,
      minCameras: alerting.groupMinCameras,
      minPercent: alerting.groupMinPercent,
    });
    await writer.preload(events.map((e) => e.cameraId));
    for (const event of events) await writer.apply(event);
    if (opts.checkSessions) {
      const now = opts.now ?? new Date();
      const changes = await sessionLimitChanges(tx, deps.config, now);
      for (const c of changes.open)
        await writer.openStandalone(c.cameraId, c.siteId, 'session_limit', null, c.since);
      for (const cameraId of changes.resolve) await writer.resolveCause(cameraId, 'session_limit', now);
    }
    const feedIds = await appendFeed(tx, await writer.finish());
    const last = events.at(-1);
    if (last) await tx.query(`UPDATE stage_cursors SET last_id = $1 WHERE stage = 'alerts'`, [last.id]);
    return { events: events.length, lastFeedId: feedIds.at(-1) ?? null, more: events.length === BATCH };
  });
}

/** Runs the stage in a process: on each nudge from the probe workers and every pollMs, one run at a time. */
export class AlertStage {
  private readonly runner: SerialRunner;
  private sessionsCheckedAt = 0;

  constructor(
    private readonly deps: StageDeps,
    /** publishes feed nudges (any connection not in subscriber mode) */
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
  ) {
    this.runner = new SerialRunner(
      () => this.runOnce(),
      (err) => deps.log.warn({ err: { message: err.message } }, 'alert stage run failed'),
    );
  }

  async start(): Promise<void> {
    const channel = healthEventsChannel(this.deps.config);
    this.subscriber.on('message', (ch: string) => {
      if (ch === channel) this.runner.kick();
    });
    this.subscriber.on('ready', () => void this.subscriber.subscribe(channel).catch(() => undefined));
    await this.subscriber.subscribe(channel);
    this.runner.every(this.deps.config.alerting.pollMs).kick();
  }

  private async runOnce(): Promise<boolean> {
    const checkSessions = Date.now() - this.sessionsCheckedAt >= this.deps.config.probe.intervalMs;
    const run = await runAlertStageOnce(this.deps, { checkSessions });
    if (checkSessions) this.sessionsCheckedAt = Date.now();
    if (run.lastFeedId !== null) await nudgeFeed(this.publisher, this.deps.config, run.lastFeedId);
    return run.more;
  }

  close(): Promise<void> {
    return this.runner.close();
  }
}
