import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import {
  createDistrict,
  deleteDistrict,
  getDistrict,
  listDistricts,
  updateDistrict,
} from '../../governance/districts.js';
import { DISTRICT_KINDS } from '../../governance/tree-rules.js';
import type { Deps } from '../deps.js';
import { allow, principalOf } from '../guard.js';
import {
  errorReplies,
  IdParams,
  Latitude,
  Longitude,
  Name,
  NullableUuid,
  PageOf,
  PageQuery,
  page,
  SearchText,
  StringEnum,
  Timestamp,
  Uuid,
} from '../schemas/common.js';

const Kind = StringEnum(DISTRICT_KINDS);
const Code = Type.String({ pattern: '^[0-9A-Za-z-]{1,32}$', description: 'administrative or internal code' });

const NetworkCidrs = Type.Array(Type.String({ maxLength: 64 }), {
  maxItems: 256,
  description: "IPv4 ranges of this node's network, e.g. 10.64.1.0/24",
});

const District = Type.Object({
  id: Uuid,
  kind: Kind,
  name: Type.String(),
  code: Type.String(),
  parentId: NullableUuid,
  ancestorIds: Type.Array(Uuid),
  lat: Latitude,
  lon: Longitude,
  networkCidrs: Type.Array(Type.String()),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

const DistrictCreate = Type.Object(
  {
    kind: Kind,
    name: Name,
    code: Code,
    parentId: Type.Optional(NullableUuid),
    lat: Type.Optional(Latitude),
    lon: Type.Optional(Longitude),
    networkCidrs: Type.Optional(NetworkCidrs),
  },
  { additionalProperties: false },
);

const DistrictPatch = Type.Object(
  {
    name: Type.Optional(Name),
    code: Type.Optional(Code),
    parentId: Type.Optional(Uuid),
    lat: Type.Optional(Latitude),
    lon: Type.Optional(Longitude),
    networkCidrs: Type.Optional(NetworkCidrs),
  },
  { additionalProperties: false, minProperties: 1 },
);

const ListQuery = Type.Object(
  {
    ...PageQuery,
    under: Type.Optional(Uuid),
    parentId: Type.Optional(Uuid),
    kind: Type.Optional(Kind),
    q: Type.Optional(SearchText),
  },
  { additionalProperties: false },
);

export function districtRoutes({ db }: Deps): FastifyPluginAsyncTypebox {
  return async (app) => {
    const tags = ['districts'];
    app.get(
      '/districts',
      {
        onRequest: allow('districts', 'read'),
        schema: { tags, querystring: ListQuery, response: { 200: PageOf(District), ...errorReplies } },
      },
      async (req) => listDistricts(db, principalOf(req), req.query, page(req.query)),
    );
    app.get(
      '/districts/:id',
      {
        onRequest: allow('districts', 'read'),
        schema: { tags, params: IdParams, response: { 200: District, ...errorReplies } },
      },
      async (req) => getDistrict(db, principalOf(req), req.params.id),
    );
    app.post(
      '/districts',
      {
        onRequest: allow('districts', 'write'),
        schema: { tags, body: DistrictCreate, response: { 201: District, ...errorReplies } },
      },
      async (req, reply) => reply.status(201).send(await createDistrict(db, principalOf(req), req.body)),
    );
    app.patch(
      '/districts/:id',
      {
        onRequest: allow('districts', 'write'),
        schema: { tags, params: IdParams, body: DistrictPatch, response: { 200: District, ...errorReplies } },
      },
      async (req) => updateDistrict(db, principalOf(req), req.params.id, req.body),
    );
    app.delete(
      '/districts/:id',
      {
        onRequest: allow('districts', 'write'),
        schema: { tags, params: IdParams, response: { 204: Type.Null(), ...errorReplies } },
      },
      async (req, reply) => {
        await deleteDistrict(db, principalOf(req), req.params.id);
        return reply.status(204).send(null);
      },
    );
  };
}
