import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { listAudit } from '../../audit.js';
import type { Deps } from '../deps.js';
import { allow } from '../guard.js';
import { errorReplies, NullableUuid, PageOf, PageQuery, page, Timestamp } from '../schemas/common.js';

const Entry = Type.Object({
  id: Type.Integer(),
  at: Timestamp,
  userId: NullableUuid,
  username: Type.Union([Type.String(), Type.Null()]),
  action: Type.String(),
  objectType: Type.String(),
  objectId: Type.Union([Type.String(), Type.Null()]),
  details: Type.Record(Type.String(), Type.Unknown()),
});

const Word = Type.String({ pattern: '^[a-z-]{1,40}$' });

export function auditRoutes({ db }: Deps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/audit',
      {
        onRequest: allow('audit', 'read'),
        schema: {
          tags: ['audit'],
          querystring: Type.Object(
            {
              ...PageQuery,
              objectType: Type.Optional(Word),
              objectId: Type.Optional(Type.String({ maxLength: 64 })),
              userId: Type.Optional(Type.String({ format: 'uuid' })),
              action: Type.Optional(Word),
              from: Type.Optional(Type.String({ format: 'date-time' })),
              to: Type.Optional(Type.String({ format: 'date-time' })),
            },
            { additionalProperties: false },
          ),
          response: { 200: PageOf(Entry), ...errorReplies },
        },
      },
      async (req) => listAudit(db, req.query, page(req.query)),
    );
  };
}
