import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { AppError } from '../../errors.js';
import { checkPhoto, mediaType, PHOTO_TYPES } from '../../tickets/photo.js';
import { TICKET_STATUSES } from '../../tickets/rules.js';
import {
  acknowledgeTicket,
  addTicketNote,
  addTicketPhoto,
  DISPUTE_CAUSES,
  disputeTicket,
  markRepaired,
} from '../../tickets/tickets-actions.js';
import { getTicket, listTickets, ticketPhoto, ticketSnapshot } from '../../tickets/tickets-read.js';
import type { Deps } from '../deps.js';
import { errorHandler } from '../error-handler.js';
import { allow, principalOf } from '../guard.js';
import {
  ErrorReply,
  errorReplies,
  NullableTimestamp,
  NullableUuid,
  PageOf,
  PageQuery,
  page,
  StringEnum,
  Timestamp,
  Uuid,
} from '../schemas/common.js';

const TicketId = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });
const TicketParams = Type.Object({ id: TicketId }, { additionalProperties: false });
const NullableString = Type.Union([Type.String(), Type.Null()]);
const Binary = Type.Unsafe<Buffer>({ type: 'string', format: 'binary' });

const Ticket = Type.Object({
  id: Type.Integer(),
  cameraId: Uuid,
  cameraName: Type.String(),
  siteId: Uuid,
  placePath: Type.Array(Type.String()),
  contractorId: Uuid,
  contractorName: Type.String(),
  contractId: Uuid,
  alertId: Type.Union([Type.Integer(), Type.Null()]),
  cause: Type.String(),
  priority: StringEnum(['P1', 'P2', 'P3'] as const),
  status: StringEnum(TICKET_STATUSES),
  faultSince: Timestamp,
  openedAt: Timestamp,
  slaStartedAt: Timestamp,
  nominalSlaDueAt: Timestamp,
  slaDueAt: Type.Unsafe<Date | string>({
    type: 'string',
    format: 'date-time',
    description: 'the deadline, moved on by approved external-cause time',
  }),
  slaExtendedMinutes: Type.Integer(),
  remainingSeconds: Type.Union([Type.Integer(), Type.Null()], { description: 'negative once overdue' }),
  overdue: Type.Boolean(),
  acknowledgedAt: NullableTimestamp,
  acknowledgedBy: NullableUuid,
  repairedAt: NullableTimestamp,
  repairedBy: NullableUuid,
  closedAt: NullableTimestamp,
  closeReason: Type.Union([StringEnum(['verified', 'recovered'] as const), Type.Null()]),
  reopenedCount: Type.Integer(),
  escalatedAt: NullableTimestamp,
  disputeExclusionId: NullableUuid,
});

const Photo = Type.Object({
  id: Uuid,
  contentType: StringEnum(PHOTO_TYPES),
  sizeBytes: Type.Integer(),
  uploadedBy: NullableUuid,
  uploadedAt: Timestamp,
});

const TicketDetail = Type.Object({
  ...Ticket.properties,
  events: Type.Array(
    Type.Object({
      id: Type.Integer(),
      at: Timestamp,
      kind: Type.String(),
      actor: NullableUuid,
      actorName: NullableString,
      note: NullableString,
    }),
  ),
  snapshots: Type.Array(Type.Object({ role: Type.String(), takenAt: Timestamp, sizeBytes: Type.Integer() })),
  photos: Type.Array(Photo),
  dispute: Type.Union([
    Type.Object({
      id: Uuid,
      status: StringEnum(['requested', 'approved', 'rejected'] as const),
      from: Timestamp,
      to: Timestamp,
      reason: Type.String(),
      evidence: NullableString,
    }),
    Type.Null(),
  ]),
});

const Note = Type.String({ minLength: 1, maxLength: 2000 });
const detailReply = { 200: TicketDetail, ...errorReplies };

/** Errors Fastify raises while reading a photo body, named by the field they are about. */
function photoErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return errorHandler(
      new AppError(413, 'body: the photo is too large', 'body') as FastifyError,
      request,
      reply,
    );
  }
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return errorHandler(
      new AppError(415, 'content-type: must be image/jpeg or image/png', 'content-type') as FastifyError,
      request,
      reply,
    );
  }
  return errorHandler(error, request, reply);
}

/** Tickets for contractors: contractors work their own, the bureau all, duty desks read those of their node. */
export function ticketRoutes({ db, config }: Deps): FastifyPluginAsyncTypebox {
  return async (app) => {
    const tags = ['tickets'];
    const read = allow('tickets', 'read');
    const write = allow('tickets', 'write');
    app.get(
      '/tickets',
      {
        onRequest: read,
        schema: {
          tags,
          description:
            'Active tickets by deadline, soonest first (status=closed: most recently closed first)',
          querystring: Type.Object(
            {
              ...PageQuery,
              status: Type.Optional(StringEnum(TICKET_STATUSES)),
              cameraId: Type.Optional(Uuid),
            },
            { additionalProperties: false },
          ),
          response: { 200: PageOf(Ticket), ...errorReplies },
        },
      },
      async (req) => listTickets(db, principalOf(req), req.query, page(req.query)),
    );
    app.get(
      '/tickets/:id',
      { onRequest: read, schema: { tags, params: TicketParams, response: detailReply } },
      async (req) => getTicket(db, principalOf(req), req.params.id),
    );
    app.get(
      '/tickets/:id/snapshots/:role',
      {
        onRequest: read,
        schema: {
          tags,
          params: Type.Object(
            { id: TicketId, role: StringEnum(['last_good', 'at_fault', 'after_repair'] as const) },
            { additionalProperties: false },
          ),
          response: { 200: Binary, ...errorReplies },
        },
      },
      async (req, reply) => {
        const shot = await ticketSnapshot(db, principalOf(req), req.params.id, req.params.role);
        return reply
          .header('content-type', 'image/jpeg')
          .header('last-modified', shot.takenAt.toUTCString())
          .send(shot.jpeg);
      },
    );
    app.get(
      '/tickets/:id/photos/:photoId',
      {
        onRequest: read,
        schema: {
          tags,
          params: Type.Object({ id: TicketId, photoId: Uuid }, { additionalProperties: false }),
          response: { 200: Binary, ...errorReplies },
        },
      },
      async (req, reply) => {
        const photo = await ticketPhoto(db, principalOf(req), req.params.id, req.params.photoId);
        return reply.header('content-type', photo.contentType).send(photo.body);
      },
    );

    app.post(
      '/tickets/:id/acknowledge',
      { onRequest: write, schema: { tags, params: TicketParams, response: detailReply } },
      async (req) => {
        await acknowledgeTicket(db, principalOf(req), req.params.id);
        return getTicket(db, principalOf(req), req.params.id);
      },
    );
    app.post(
      '/tickets/:id/notes',
      {
        onRequest: write,
        schema: {
          tags,
          params: TicketParams,
          body: Type.Object({ note: Note }, { additionalProperties: false }),
          response: detailReply,
        },
      },
      async (req) => {
        await addTicketNote(db, principalOf(req), req.params.id, req.body.note);
        return getTicket(db, principalOf(req), req.params.id);
      },
    );
    app.post(
      '/tickets/:id/repaired',
      {
        onRequest: write,
        schema: {
          tags,
          description: "The contractor's word; the ticket closes once the camera is seen healthy long enough",
          params: TicketParams,
          body: Type.Optional(Type.Object({ note: Type.Optional(Note) }, { additionalProperties: false })),
          response: detailReply,
        },
      },
      async (req) => {
        await markRepaired(db, principalOf(req), req.params.id, req.body?.note ?? null);
        return getTicket(db, principalOf(req), req.params.id);
      },
    );
    app.post(
      '/tickets/:id/dispute',
      {
        onRequest: write,
        schema: {
          tags,
          description: 'Requests an external-cause exclusion for the camera; the bureau decides it',
          params: TicketParams,
          body: Type.Object(
            {
              cause: StringEnum(DISPUTE_CAUSES),
              reason: Type.String({ minLength: 1, maxLength: 400 }),
              evidence: Type.String({ minLength: 1, maxLength: 2000 }),
              from: Type.Optional(Type.String({ format: 'date-time' })),
              to: Type.Optional(Type.String({ format: 'date-time' })),
            },
            { additionalProperties: false },
          ),
          response: { 201: TicketDetail, ...errorReplies },
        },
      },
      async (req, reply) => {
        await disputeTicket(db, principalOf(req), req.params.id, req.body);
        return reply.status(201).send(await getTicket(db, principalOf(req), req.params.id));
      },
    );

    // the raw image body is parsed only here
    await app.register(async (scoped) => {
      const photos = scoped.withTypeProvider<TypeBoxTypeProvider>();
      photos.setErrorHandler(photoErrors);
      photos.addContentTypeParser(
        [...PHOTO_TYPES],
        { parseAs: 'buffer', bodyLimit: config.tickets.maxPhotoBytes },
        (_req, body, done) => done(null, body),
      );
      photos.post(
        '/tickets/:id/photos',
        {
          onRequest: write,
          bodyLimit: config.tickets.maxPhotoBytes,
          schema: {
            tags,
            description: 'A repair photo: the raw image as the body, Content-Type image/jpeg or image/png',
            params: TicketParams,
            response: { 201: Photo, ...errorReplies, 413: ErrorReply, 415: ErrorReply },
          },
        },
        async (req, reply) => {
          const type = mediaType(req.headers['content-type']);
          const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
          const verdict = checkPhoto(type, body, config.tickets.maxPhotoBytes);
          if (!verdict.ok)
            throw new AppError(verdict.status, `${verdict.field}: ${verdict.message}`, verdict.field);
          const photo = await addTicketPhoto(db, principalOf(req), req.params.id, verdict.type, body);
          return reply.status(201).send(photo);
        },
      );
    });
  };
}
