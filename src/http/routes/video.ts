import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { getCamera } from '../../cameras/registry.js';
import { ConflictError, ForbiddenError } from '../../errors.js';
import { RELAY_TOKEN_HEADER } from '../../relay/cluster-remote.js';
import { verifyRelayToken } from '../../relay/cluster-token.js';
import { listVideoSessions } from '../../relay/video-sessions.js';
import { servePeer, serveViewer } from '../../relay/viewer-session.js';
import type { Deps } from '../deps.js';
import { allow, principalOf } from '../guard.js';
import {
  errorReplies,
  IdParams,
  NullableTimestamp,
  NullableUuid,
  PageOf,
  PageQuery,
  page,
  Timestamp,
  Uuid,
} from '../schemas/common.js';

const VideoSession = Type.Object({
  id: Uuid,
  userId: NullableUuid,
  username: Type.String(),
  cameraId: Uuid,
  cameraName: Type.Union([Type.String(), Type.Null()]),
  instanceId: Type.String(),
  remoteAddr: Type.Union([Type.String(), Type.Null()]),
  startedAt: Timestamp,
  endedAt: NullableTimestamp,
  endReason: Type.Union([Type.String(), Type.Null()]),
  bytesSent: Type.Integer(),
});

const SessionQuery = Type.Object(
  {
    ...PageQuery,
    userId: Type.Optional(Uuid),
    cameraId: Type.Optional(Uuid),
    from: Type.Optional(Type.String({ format: 'date-time', description: 'sessions still open at or after' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'sessions started before' })),
    open: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

/**
 * Live video: `GET /cameras/:id/live-stream` is a WebSocket of MPEG-TS (binary frames) and status
 * (`{type:'status', status, message}` text frames) for the cameras in the caller's scope; every session is
 * audited, and `GET /video-sessions` lists that audit. Close codes: 4429 a viewer limit, 4401 access revoked,
 * 4002 the camera cannot be streamed (the status said why), 4001 the link is too slow, 1013 try again.
 */
export function videoRoutes(deps: Deps): FastifyPluginAsyncTypebox {
  const { db, config } = deps;
  const scope = { timeZone: config.timeZone };
  const viewers = { relay: deps.relay, revocations: deps.revocations, db, log: deps.log };
  return async (app) => {
    app.get(
      '/cameras/:id/live-stream',
      {
        websocket: true,
        onRequest: allow('video', 'read'),
        // before the upgrade: a camera outside the caller's scope is a 404, as on every camera route
        preHandler: async (req) => {
          await getCamera(db, principalOf(req), scope, (req.params as { id: string }).id);
        },
        schema: { tags: ['video'], params: IdParams, response: errorReplies },
      },
      (socket, req) =>
        serveViewer(viewers, socket, {
          who: principalOf(req),
          cameraId: req.params.id,
          remoteAddr: req.ip ?? null,
        }),
    );
    app.get(
      '/video-sessions',
      {
        onRequest: allow('audit', 'read'),
        schema: {
          tags: ['video'],
          description: 'Who watched which camera live, from where, from when to when',
          querystring: SessionQuery,
          response: { 200: PageOf(VideoSession), ...errorReplies },
        },
      },
      async (req) => listVideoSessions(db, req.query, page(req.query)),
    );
  };
}

const CameraParams = Type.Object({ cameraId: Uuid }, { additionalProperties: false });

/**
 * The stream of a camera this instance owns, for the other API instances (never under /api/v1, never in the
 * OpenAPI document): authenticated by a relay token (cluster-token.ts), not by a user.
 */
export function internalRelayRoutes(deps: Deps): FastifyPluginAsyncTypebox {
  const { relay } = deps;
  const peers = { relay, revocations: deps.revocations, db: deps.db, log: deps.log };
  const checkPeer = async (req: FastifyRequest) => {
    const { cameraId } = req.params as { cameraId: string };
    const token = req.headers[RELAY_TOKEN_HEADER];
    if (typeof token !== 'string' || !verifyRelayToken(relay.tokens, cameraId, token)) {
      throw new ForbiddenError('relay: not a relay token for this camera');
    }
    const owner = await relay.registry.owner(cameraId);
    if (owner && owner.instanceId !== relay.instanceId) {
      throw new ConflictError(`relay: camera ${cameraId} is streamed by another instance`);
    }
  };
  return async (app) => {
    app.get(
      '/internal/relay/:cameraId',
      { websocket: true, preHandler: checkPeer, schema: { hide: true, params: CameraParams } },
      (socket, req) => servePeer(peers, socket, req.params.cameraId),
    );
  };
}
