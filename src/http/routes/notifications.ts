import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { listDeadLetters, replayDeadLetter } from '../../notify/dead-letters.js';
import { CHANNELS } from '../../notify/formats.js';
import { createRoute, deleteRoute, getRoute, listRoutes, updateRoute } from '../../notify/routes-repo.js';
import type { Deps } from '../deps.js';
import { allow, principalOf } from '../guard.js';
import {
  errorReplies,
  IdParams,
  Name,
  NullableTimestamp,
  NullableUuid,
  PageOf,
  PageQuery,
  page,
  StringEnum,
  Timestamp,
  Uuid,
} from '../schemas/common.js';

const SEVERITIES = ['critical', 'major', 'minor'] as const;

const Route = Type.Object({
  id: Uuid,
  name: Type.String(),
  channel: StringEnum(CHANNELS),
  districtId: NullableUuid,
  contractorId: NullableUuid,
  minSeverity: StringEnum(SEVERITIES),
  enabled: Type.Boolean(),
  targetHost: Type.String({ description: 'host of the target URL; the URL and secret are never shown' }),
  createdAt: Timestamp,
});

const Url = Type.String({
  minLength: 1,
  maxLength: 2000,
  description: 'http(s) URL; a robot URL carries its key',
});
const Secret = Type.Union([Type.String({ minLength: 1, maxLength: 500 }), Type.Null()], {
  description: 'webhook: HMAC key (required); DingTalk: 加签 secret (optional); WeCom: none',
});

const DeadLetter = Type.Object({
  id: Type.Integer(),
  routeId: Uuid,
  routeName: Type.String(),
  channel: StringEnum(CHANNELS),
  targetHost: Type.String(),
  feedId: Type.Integer(),
  feedKind: Type.String(),
  alertId: Type.Union([Type.Integer(), Type.Null()]),
  ticketId: Type.Union([Type.Integer(), Type.Null()]),
  attempts: Type.Integer(),
  lastError: Type.String(),
  failedAt: Timestamp,
  replayedAt: NullableTimestamp,
  replayedBy: NullableUuid,
});

/** Notification routes and dead letters: admins set them up and replay, the bureau looks. */
export function notificationRoutes({ db, vault, queues }: Deps): FastifyPluginAsyncTypebox {
  return async (app) => {
    const tags = ['notifications'];
    app.get(
      '/notification-routes',
      {
        onRequest: allow('notifications', 'read'),
        schema: {
          tags,
          querystring: Type.Object(PageQuery, { additionalProperties: false }),
          response: { 200: PageOf(Route), ...errorReplies },
        },
      },
      async (req) => listRoutes(db, page(req.query)),
    );
    app.get(
      '/notification-routes/:id',
      {
        onRequest: allow('notifications', 'read'),
        schema: { tags, params: IdParams, response: { 200: Route, ...errorReplies } },
      },
      async (req) => getRoute(db, req.params.id),
    );
    app.post(
      '/notification-routes',
      {
        onRequest: allow('notifications', 'write'),
        schema: {
          tags,
          body: Type.Object(
            {
              name: Name,
              channel: StringEnum(CHANNELS),
              url: Url,
              secret: Type.Optional(Secret),
              districtId: Type.Optional(NullableUuid),
              contractorId: Type.Optional(NullableUuid),
              minSeverity: Type.Optional(StringEnum(SEVERITIES)),
              enabled: Type.Optional(Type.Boolean()),
            },
            { additionalProperties: false },
          ),
          response: { 201: Route, ...errorReplies },
        },
      },
      async (req, reply) => reply.status(201).send(await createRoute(db, vault, principalOf(req), req.body)),
    );
    app.patch(
      '/notification-routes/:id',
      {
        onRequest: allow('notifications', 'write'),
        schema: {
          tags,
          params: IdParams,
          body: Type.Object(
            {
              name: Type.Optional(Name),
              url: Type.Optional(Url),
              secret: Type.Optional(Secret),
              minSeverity: Type.Optional(StringEnum(SEVERITIES)),
              enabled: Type.Optional(Type.Boolean()),
            },
            { additionalProperties: false },
          ),
          response: { 200: Route, ...errorReplies },
        },
      },
      async (req) => updateRoute(db, vault, principalOf(req), req.params.id, req.body),
    );
    app.delete(
      '/notification-routes/:id',
      {
        onRequest: allow('notifications', 'write'),
        schema: { tags, params: IdParams, response: { 204: Type.Null(), ...errorReplies } },
      },
      async (req, reply) => {
        await deleteRoute(db, principalOf(req), req.params.id);
        return reply.status(204).send(null);
      },
    );
    app.get(
      '/notification-dead-letters',
      {
        onRequest: allow('notifications', 'read'),
        schema: {
          tags,
          querystring: Type.Object(
            {
              ...PageQuery,
              pending: Type.Optional(Type.Boolean({ description: 'only those not replayed yet' })),
            },
            { additionalProperties: false },
          ),
          response: { 200: PageOf(DeadLetter), ...errorReplies },
        },
      },
      async (req) => listDeadLetters(db, { pending: req.query.pending }, page(req.query)),
    );
    app.post(
      '/notification-dead-letters/:id/replay',
      {
        onRequest: allow('notifications', 'write'),
        schema: {
          tags,
          params: Type.Object({ id: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }),
          response: { 200: DeadLetter, ...errorReplies },
        },
      },
      async (req) => replayDeadLetter(db, queues.notify, principalOf(req), req.params.id),
    );
  };
}
