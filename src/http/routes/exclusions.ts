import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { decideExclusion, listExclusions, requestExclusion } from '../../health/exclusions-repo.js';
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
  StringEnum,
  Timestamp,
  Uuid,
} from '../schemas/common.js';

const KINDS = ['maintenance', 'external_cause'] as const;
const STATUSES = ['requested', 'approved', 'rejected'] as const;

const Exclusion = Type.Object({
  id: Uuid,
  kind: StringEnum(KINDS),
  cameraId: NullableUuid,
  districtId: NullableUuid,
  from: Timestamp,
  to: Timestamp,
  reason: Type.String(),
  evidence: Type.Union([Type.String(), Type.Null()]),
  status: StringEnum(STATUSES),
  requestedBy: NullableUuid,
  decidedBy: NullableUuid,
  decidedAt: NullableTimestamp,
  createdAt: Timestamp,
});

/** Maintenance windows and external-cause outages: requested, then approved or rejected with evidence kept. */
export function exclusionRoutes({ db }: Deps): FastifyPluginAsyncTypebox {
  return async (app) => {
    const tags = ['availability'];
    app.get(
      '/availability-exclusions',
      {
        onRequest: allow('exclusions', 'read'),
        schema: {
          tags,
          querystring: Type.Object(
            {
              ...PageQuery,
              status: Type.Optional(StringEnum(STATUSES)),
              kind: Type.Optional(StringEnum(KINDS)),
            },
            { additionalProperties: false },
          ),
          response: { 200: PageOf(Exclusion), ...errorReplies },
        },
      },
      async (req) => listExclusions(db, principalOf(req), req.query, page(req.query)),
    );
    app.post(
      '/availability-exclusions',
      {
        onRequest: allow('exclusions', 'write'),
        schema: {
          tags,
          body: Type.Object(
            {
              kind: StringEnum(KINDS),
              cameraId: Type.Optional(Uuid),
              districtId: Type.Optional(Uuid),
              from: Type.String({ format: 'date-time' }),
              to: Type.String({ format: 'date-time' }),
              reason: Type.String({ minLength: 1, maxLength: 500 }),
              evidence: Type.Optional(Type.Union([Type.String({ maxLength: 2000 }), Type.Null()])),
            },
            { additionalProperties: false },
          ),
          response: { 201: Exclusion, ...errorReplies },
        },
      },
      async (req, reply) => reply.status(201).send(await requestExclusion(db, principalOf(req), req.body)),
    );
    for (const [action, decision] of [
      ['approve', 'approved'],
      ['reject', 'rejected'],
    ] as const) {
      app.post(
        `/availability-exclusions/:id/${action}`,
        {
          onRequest: allow('exclusions', 'write'),
          schema: { tags, params: IdParams, response: { 200: Exclusion, ...errorReplies } },
        },
        async (req) => decideExclusion(db, principalOf(req), req.params.id, decision),
      );
    }
  };
}
