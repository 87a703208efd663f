import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { createCamera, getCamera, listCameras, retireCamera, updateCamera } from '../../cameras/registry.js';
import { contractForCamera } from '../../governance/contracts.js';
import type { Deps } from '../deps.js';
import { allow, principalOf } from '../guard.js';
import {
  errorReplies,
  IdParams,
  Latitude,
  Longitude,
  Name,
  NullableTimestamp,
  NullableUuid,
  PageOf,
  PageQuery,
  page,
  SearchText,
  StringEnum,
  Timestamp,
  Uuid,
} from '../schemas/common.js';

const PLACE_CLASSES = ['town_seat', 'village'] as const;
const Vendor = Type.String({
  pattern: '^[a-z0-9-]{1,32}$',
  description: 'camera profile name, e.g. hikvision',
});
const NullableString = (max: number) =>
  Type.Union([Type.String({ minLength: 1, maxLength: max }), Type.Null()]);
const Url = Type.Union([Type.String({ minLength: 1, maxLength: 500 }), Type.Null()]);
const Ip = Type.Union([Type.String({ anyOf: [{ format: 'ipv4' }, { format: 'ipv6' }] }), Type.Null()]);

const Camera = Type.Object({
  id: Uuid,
  name: Type.String(),
  siteId: Uuid,
  path: Type.Array(Type.Object({ id: Uuid, kind: Type.String(), name: Type.String() })),
  gbCode: Type.String(),
  vendor: Type.String(),
  model: Type.Union([Type.String(), Type.Null()]),
  ip: Type.Union([Type.String(), Type.Null()]),
  onvifUrl: Type.Union([Type.String(), Type.Null()]),
  rtspMainUrl: Type.Union([Type.String(), Type.Null()]),
  rtspSubUrl: Type.Union([Type.String(), Type.Null()]),
  lat: Latitude,
  lon: Longitude,
  placeClass: StringEnum(PLACE_CLASSES),
  sessionLimit: Type.Integer(),
  hasCredentials: Type.Boolean(),
  commissionedAt: Timestamp,
  retiredAt: NullableTimestamp,
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

// Write-only: accepted on create/update, never part of any reply.
const Credentials = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 64 }),
    password: Type.String({ minLength: 1, maxLength: 128 }),
  },
  { additionalProperties: false },
);

const CameraFields = {
  name: Name,
  siteId: Uuid,
  gbCode: Type.String({ minLength: 1, maxLength: 20, description: 'GB/T 28181 20-digit device code' }),
  vendor: Type.Optional(Vendor),
  model: Type.Optional(NullableString(64)),
  ip: Type.Optional(Ip),
  onvifUrl: Type.Optional(Url),
  rtspMainUrl: Type.Optional(Url),
  rtspSubUrl: Type.Optional(Url),
  lat: Type.Optional(Latitude),
  lon: Type.Optional(Longitude),
  placeClass: Type.Optional(StringEnum(PLACE_CLASSES)),
  sessionLimit: Type.Optional(Type.Integer({ minimum: 1, maximum: 64 })),
  credentials: Type.Optional(Type.Union([Credentials, Type.Null()])),
};

const CameraCreate = Type.Object(
  { ...CameraFields, commissionedAt: Type.Optional(Type.String({ format: 'date-time' })) },
  { additionalProperties: false },
);
const CameraPatch = Type.Partial(Type.Object(CameraFields), {
  additionalProperties: false,
  minProperties: 1,
});

const ListQuery = Type.Object(
  {
    ...PageQuery,
    under: Type.Optional(Uuid),
    siteId: Type.Optional(Uuid),
    vendor: Type.Optional(Vendor),
    status: Type.Optional(StringEnum(['active', 'retired', 'all'] as const)),
    q: Type.Optional(SearchText),
  },
  { additionalProperties: false },
);

const Attribution = Type.Object({ at: Timestamp, contractId: NullableUuid, contractorId: NullableUuid });

export function cameraRoutes({ db, vault, config, profiles }: Deps): FastifyPluginAsyncTypebox {
  const scope = { timeZone: config.timeZone };
  return async (app) => {
    const tags = ['cameras'];
    app.get(
      '/cameras',
      {
        onRequest: allow('cameras', 'read'),
        schema: { tags, querystring: ListQuery, response: { 200: PageOf(Camera), ...errorReplies } },
      },
      async (req) => listCameras(db, principalOf(req), scope, req.query, page(req.query)),
    );
    app.get(
      '/cameras/:id',
      {
        onRequest: allow('cameras', 'read'),
        schema: { tags, params: IdParams, response: { 200: Camera, ...errorReplies } },
      },
      async (req) => getCamera(db, principalOf(req), scope, req.params.id),
    );
    app.get(
      '/cameras/:id/contract',
      {
        onRequest: allow('cameras', 'read'),
        schema: {
          tags,
          description:
            'The maintenance contract a fault of this camera at `at` (default now) is attributed to',
          params: IdParams,
          querystring: Type.Object(
            { at: Type.Optional(Type.String({ format: 'date-time' })) },
            { additionalProperties: false },
          ),
          response: { 200: Attribution, ...errorReplies },
        },
      },
      async (req) => {
        await getCamera(db, principalOf(req), scope, req.params.id);
        const at = req.query.at ? new Date(req.query.at) : new Date();
        const found = await contractForCamera(db, req.params.id, at, config.timeZone);
        return { at, contractId: found?.contractId ?? null, contractorId: found?.contractorId ?? null };
      },
    );
    app.post(
      '/cameras',
      {
        onRequest: allow('cameras', 'write'),
        schema: { tags, body: CameraCreate, response: { 201: Camera, ...errorReplies } },
      },
      async (req, reply) =>
        reply.status(201).send(await createCamera(db, vault, principalOf(req), scope, req.body, profiles)),
    );
    app.patch(
      '/cameras/:id',
      {
        onRequest: allow('cameras', 'write'),
        schema: { tags, params: IdParams, body: CameraPatch, response: { 200: Camera, ...errorReplies } },
      },
      async (req) => updateCamera(db, vault, principalOf(req), scope, req.params.id, req.body, profiles),
    );
    app.delete(
      '/cameras/:id',
      {
        onRequest: allow('cameras', 'write'),
        schema: {
          tags,
          description: 'Retires the camera; its history stays',
          params: IdParams,
          response: { 204: Type.Null(), ...errorReplies },
        },
      },
      async (req, reply) => {
        await retireCamera(db, principalOf(req), scope, req.params.id);
        return reply.status(204).send(null);
      },
    );
  };
}
