import { randomBytes, randomUUID } from 'node:crypto';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { CredentialVault } from '../../src/cameras/credential-vault.js';
import type { Config } from '../../src/config.js';
import type { Db } from '../../src/db.js';
import { runFfprobe } from '../../src/media/ffmpeg-process.js';
import type { RelayStatus, RelayViewer } from '../../src/relay/types.js';
import { buildCountyFixture } from './county-fixture.js';
import { freshDatabase, testConfig } from './harness.js';

/** What the relay tests share: a database with a site to hang cameras on, the vault and the configuration. */
export async function startRelayDb(env: Record<string, string> = {}) {
  const config: Config = testConfig(await freshDatabase(), env);
  const db: Db = new pg.Pool({ connectionString: config.databaseUrl, max: 4 });
  const vault = new CredentialVault(config.credentialKeys);
  const fx = await buildCountyFixture(db);
  let n = 0;
  const addCamera = async (
    main: string,
    sub: string | null,
    creds: { username: string; password: string },
  ) => {
    const id = randomUUID();
    const sealed = vault.seal(id, creds);
    const gb = `6404250000139${String(Date.now() % 1e5).padStart(5, '0')}${String(n++).padStart(2, '0')}`;
    await db.query(
      `INSERT INTO cameras (id, site_id, name, gb_code, rtsp_main_url, rtsp_sub_url, credential_key_id, credential_cipher)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [id, fx.node.A1s, `relay camera ${n}`, gb, main, sub, sealed.keyId, sealed.cipher],
    );
    return id;
  };
  return { config, db, vault, addCamera, close: () => db.end() };
}

/** A viewer that keeps what it gets; `paused` makes it a client that stopped reading (its backlog grows). */
export class TestViewer implements RelayViewer {
  readonly id = `viewer-${randomBytes(3).toString('hex')}`;
  chunks: Buffer[] = [];
  received = 0;
  /** Each status with the number of chunks received before it. */
  statuses: Array<{ status: RelayStatus; message: string; at: number }> = [];
  closed: { code: number; reason: string } | null = null;
  paused = false;
  backlog = 0;
  maxBacklog = 0;
  /** Keep the bytes (off for long runs). */
  keep = true;

  write(chunk: Buffer): void {
    if (this.closed) throw new Error('write after close');
    if (this.paused) {
      this.backlog += chunk.length;
      this.maxBacklog = Math.max(this.maxBacklog, this.backlog);
      return;
    }
    this.received += chunk.length;
    if (this.keep) this.chunks.push(chunk);
  }
  bufferedBytes(): number {
    return this.backlog;
  }
  status(status: RelayStatus, message: string): void {
    this.statuses.push({ status, message, at: this.chunks.length });
  }
  close(code: number, reason: string): void {
    this.closed = { code, reason };
  }
  get lastStatus(): RelayStatus | undefined {
    return this.statuses[this.statuses.length - 1]?.status;
  }
  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000) {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** ffprobe's view of an MPEG-TS byte string: the video codec, frames decoded and the first frame's key flag. */
export async function probeTs(bytes: Buffer) {
  const file = join(tmpdir(), `xlt-relay-${randomBytes(5).toString('hex')}.ts`);
  await writeFile(file, bytes);
  try {
    const streams = await runFfprobe({
      args: ['-v', 'error', '-select_streams', 'v:0', '-count_frames', '-show_entries'].concat([
        'stream=codec_name,nb_read_frames',
        '-of',
        'json',
        file,
      ]),
      deadlineMs: 30_000,
    });
    const first = await runFfprobe({
      args: ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=key_frame,pict_type'].concat([
        '-read_intervals',
        '%+#1',
        '-of',
        'json',
        file,
      ]),
      deadlineMs: 30_000,
    });
    const stream = JSON.parse(streams.stdout.toString() || '{}').streams?.[0] ?? {};
    const frame = JSON.parse(first.stdout.toString() || '{}').frames?.[0] ?? {};
    return {
      code: streams.code,
      codec: stream.codec_name as string | undefined,
      frames: Number(stream.nb_read_frames ?? 0),
      firstKey: frame.key_frame === 1,
      errors: streams.stderrTail,
    };
  } finally {
    await rm(file, { force: true });
  }
}

/** Live (not zombie) processes whose command line holds `marker`, and zombies among them separately. */
export async function processesWith(marker: string) {
  const live: string[] = [];
  const zombies: string[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (!cmdline.includes(marker)) continue;
    const status = await readFile(`/proc/${entry}/status`, 'utf8').catch(() => '');
    (/^State:\s+Z/m.test(status) ? zombies : live).push(`${entry} ${cmdline.replace(/\0/g, ' ')}`);
  }
  return { live, zombies };
}
