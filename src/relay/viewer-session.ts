import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import WebSocket from 'ws';
import type { Principal } from '../auth/policy.js';
import type { Revocations } from '../auth/revocation.js';
import type { Db } from '../db.js';
import type { RelayService } from './cluster-service.js';
import type { RelayStatus, RelayViewer } from './types.js';
import { closeVideoSession, openVideoSession } from './video-sessions.js';

/** Close code when a viewer limit (the user's or the county's) is reached; a status frame says which. */
export const CLOSE_LIMIT = 4429;
/** Close code when the user's access is revoked (the same as the console channel's). */
export const CLOSE_REVOKED = 4401;
/** Close code when the viewer cannot be admitted or audited right now (Redis or Postgres away). */
export const CLOSE_UNAVAILABLE = 1013;

const LIMIT_MESSAGES = {
  user_full: 'you have as many live streams open as one user may; close one first',
  county_full: 'the county has as many live streams open as it allows; try again later',
} as const;

/** A WebSocket as a relay viewer: binary frames of MPEG-TS, text frames `{type:'status', status, message}`. */
export function socketViewer(
  id: string,
  socket: WebSocket,
  onClose: (reason: string) => void,
): RelayViewer & { readonly bytes: number } {
  const viewer = {
    id,
    bytes: 0,
    write(chunk: Buffer) {
      if (socket.readyState !== WebSocket.OPEN) return;
      viewer.bytes += chunk.length;
      socket.send(chunk, { binary: true });
    },
    bufferedBytes: () => socket.bufferedAmount,
    status(status: RelayStatus, message: string) {
      sendStatus(socket, status, message);
    },
    close(code: number, reason: string) {
      onClose(reason);
      socket.close(code, reason.slice(0, 120));
    },
  };
  return viewer;
}

export function sendStatus(socket: WebSocket, status: RelayStatus, message: string): void {
  if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: 'status', status, message }));
}

export interface ViewerRequest {
  who: Principal;
  cameraId: string;
  remoteAddr: string | null;
}

export interface ViewerContext {
  relay: RelayService;
  revocations: Revocations;
  db: Db;
  log: Logger;
}

/**
 * One user watching one camera, from admission to the closed audit row: admitted under the per-user and
 * county-wide limits, audited in video_sessions (who, camera, from, to, address, bytes), cut off at once when
 * the user is revoked, attached to the relay until the socket closes. The caller has checked role and scope.
 */
export function serveViewer(ctx: ViewerContext, socket: WebSocket, req: ViewerRequest): void {
  const closed = new Promise<{ code: number }>((resolve) =>
    socket.once('close', (code: number) => resolve({ code })),
  );
  socket.on('error', () => {}); // a broken connection ends in 'close'
  ctx.relay.track(runViewer(ctx, socket, req, closed), () => socket.terminate());
}

async function runViewer(
  ctx: ViewerContext,
  socket: WebSocket,
  req: ViewerRequest,
  closed: Promise<{ code: number }>,
): Promise<void> {
  const { who, cameraId } = req;
  const entry = { viewerId: randomUUID(), userId: who.userId };
  const admission = await ctx.relay.admit(entry).catch((err: Error) => {
    ctx.log.warn({ err: { message: err.message } }, 'relay: viewer limits could not be checked');
    return 'unavailable' as const;
  });
  if (admission !== 'ok') {
    const unavailable = admission === 'unavailable';
    const message = unavailable
      ? 'live video is unavailable right now; try again'
      : LIMIT_MESSAGES[admission];
    sendStatus(socket, 'failed', message);
    socket.close(unavailable ? CLOSE_UNAVAILABLE : CLOSE_LIMIT, unavailable ? 'unavailable' : admission);
    return;
  }
  let endReason: string | null = null;
  const viewer = socketViewer(entry.viewerId, socket, (reason) => {
    endReason ??= reason;
  });
  try {
    await openVideoSession(ctx.db, {
      id: entry.viewerId,
      userId: who.userId,
      username: who.username,
      cameraId,
      instanceId: ctx.relay.instanceId,
      remoteAddr: req.remoteAddr,
    });
  } catch (err) {
    // no audit row, no video
    ctx.log.warn({ err: { message: (err as Error).message } }, 'relay: video session not audited');
    await ctx.relay.leave(entry);
    sendStatus(socket, 'failed', 'live video is unavailable right now; try again');
    socket.close(CLOSE_UNAVAILABLE, 'unavailable');
    return;
  }
  const forget = ctx.revocations.track(who.userId, (reason) => viewer.close(CLOSE_REVOKED, reason));
  let detach: () => void = () => {};
  try {
    if (socket.readyState === WebSocket.OPEN) detach = await ctx.relay.manager.attach(cameraId, viewer);
  } catch (err) {
    viewer.close(CLOSE_UNAVAILABLE, (err as Error).message);
  }
  const { code } = await closed;
  detach();
  forget();
  await ctx.relay.leave(entry);
  await closeVideoSession(ctx.db, entry.viewerId, {
    reason: endReason ?? `viewer closed the stream (${code})`,
    bytesSent: viewer.bytes,
  });
}

/** Another instance reading this one's stream of a camera for its own viewers: not audited here (it is there). */
export function servePeer(ctx: ViewerContext, socket: WebSocket, cameraId: string): void {
  socket.on('error', () => {});
  const viewer = socketViewer(`peer-${randomUUID()}`, socket, () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const run = async () => {
    const detach = await ctx.relay.manager.attach(cameraId, viewer).catch(() => null);
    if (!detach) socket.close(CLOSE_UNAVAILABLE, 'relay closing');
    await closed;
    detach?.();
  };
  ctx.relay.track(run(), () => socket.terminate());
}
