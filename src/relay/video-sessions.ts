import type { Queryable } from '../db.js';
import { listPage, type Page, type PageOf, Params } from '../sql.js';

/** The audit of live video access (video_sessions): who watched which camera, from where, from when to when. */

export interface VideoSession {
  id: string;
  userId: string | null;
  username: string;
  cameraId: string;
  cameraName: string | null;
  instanceId: string;
  remoteAddr: string | null;
  startedAt: Date;
  endedAt: Date | null;
  endReason: string | null;
  bytesSent: number;
}

export interface VideoSessionStart {
  id: string;
  userId: string;
  username: string;
  cameraId: string;
  instanceId: string;
  remoteAddr: string | null;
}

export async function openVideoSession(db: Queryable, s: VideoSessionStart): Promise<void> {
  await db.query(
    `INSERT INTO video_sessions (id, user_id, username, camera_id, instance_id, remote_addr)
     VALUES ($1, $2, $3, $4, $5, $6)`,
    [s.id, s.userId, s.username, s.cameraId, s.instanceId, s.remoteAddr],
  );
}

export async function closeVideoSession(
  db: Queryable,
  id: string,
  end: { reason: string; bytesSent: number },
): Promise<void> {
  await db.query(
    `UPDATE video_sessions SET ended_at = greatest(now(), started_at), end_reason = $2, bytes_sent = $3
      WHERE id = $1 AND ended_at IS NULL`,
    [id, end.reason.slice(0, 200), end.bytesSent],
  );
}

/** Sessions this instance left open when it stopped without closing them (crash, kill -9): closed now. */
export async function closeStaleVideoSessions(db: Queryable, instanceId: string): Promise<number> {
  const { rowCount } = await db.query(
    `UPDATE video_sessions SET ended_at = greatest(now(), started_at),
            end_reason = 'the server stopped without closing the session (end time is when it restarted)'
      WHERE instance_id = $1 AND ended_at IS NULL`,
    [instanceId],
  );
  return rowCount ?? 0;
}

export interface VideoSessionFilter {
  userId?: string;
  cameraId?: string;
  /** sessions overlapping [from, to) */
  from?: string;
  to?: string;
  open?: boolean;
}

export async function listVideoSessions(
  db: Queryable,
  filter: VideoSessionFilter,
  page: Page,
): Promise<PageOf<VideoSession>> {
  const params = new Params();
  const where: string[] = [];
  if (filter.userId) where.push(`v.user_id = ${params.p(filter.userId)}`);
  if (filter.cameraId) where.push(`v.camera_id = ${params.p(filter.cameraId)}`);
  if (filter.from) where.push(`coalesce(v.ended_at, 'infinity') >= ${params.p(filter.from)}`);
  if (filter.to) where.push(`v.started_at < ${params.p(filter.to)}`);
  if (filter.open !== undefined) where.push(filter.open ? 'v.ended_at IS NULL' : 'v.ended_at IS NOT NULL');
  return listPage<
    {
      id: string;
      user_id: string | null;
      username: string;
      camera_id: string;
      camera_name: string | null;
      instance_id: string;
      remote_addr: string | null;
      started_at: Date;
      ended_at: Date | null;
      end_reason: string | null;
      bytes_sent: number;
    },
    VideoSession
  >(db, {
    select: `v.id, v.user_id, v.username, v.camera_id, c.name AS camera_name, v.instance_id, v.remote_addr,
             v.started_at, v.ended_at, v.end_reason, v.bytes_sent`,
    from: 'video_sessions v LEFT JOIN cameras c ON c.id = v.camera_id',
    where,
    orderBy: 'v.started_at DESC, v.id',
    params,
    page,
    map: (r) => ({
      id: r.id,
      userId: r.user_id,
      username: r.username,
      cameraId: r.camera_id,
      cameraName: r.camera_name,
      instanceId: r.instance_id,
      remoteAddr: r.remote_addr,
      startedAt: r.started_at,
      endedAt: r.ended_at,
      endReason: r.end_reason,
      bytesSent: r.bytes_sent,
    }),
  });
}
