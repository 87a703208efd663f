import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { INCIDENT_STATUSES, INCIDENT_TYPES } from '../../governance/incident-rules.js';
import {
  createIncident,
  deleteIncident,
  getIncident,
  listIncidents,
  updateIncident,
} from '../../governance/incidents.js';
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
  SearchText,
  StringEnum,
  Timestamp,
  Uuid,
} from '../schemas/common.js';

const IncidentType = StringEnum(INCIDENT_TYPES);
const IncidentStatus = StringEnum(INCIDENT_STATUSES);
const DateTime = Type.String({ format: 'date-time', description: 'ISO 8601 with a time zone offset' });
const NullableDateTime = Type.Union([DateTime, Type.Null()]);

const Incident = Type.Object({
  id: Uuid,
  type: IncidentType,
  title: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
  occurredAt: Timestamp,
  districtId: Uuid,
  cameraIds: Type.Array(Uuid),
  reportedByStaffId: NullableUuid,
  status: IncidentStatus,
  reportDueAt: NullableTimestamp,
  reportedAt: NullableTimestamp,
  overdue: Type.Boolean(),
  reportedLate: Type.Boolean(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

const incidentFields = {
  type: IncidentType,
  title: Type.String({ minLength: 1, maxLength: 200 }),
  description: Type.Optional(Type.Union([Type.String({ maxLength: 4000 }), Type.Null()])),
  occurredAt: DateTime,
  districtId: Uuid,
  cameraIds: Type.Optional(Type.Array(Uuid, { maxItems: 100, uniqueItems: true })),
  reportedByStaffId: Type.Optional(NullableUuid),
  status: Type.Optional(IncidentStatus),
  reportedAt: Type.Optional(NullableDateTime),
};
const IncidentCreate = Type.Object(incidentFields, { additionalProperties: false });
const IncidentPatch = Type.Partial(Type.Object(incidentFields), {
  additionalProperties: false,
  minProperties: 1,
});

const ListQuery = Type.Object(
  {
    ...PageQuery,
    under: Type.Optional(Uuid),
    type: Type.Optional(IncidentType),
    status: Type.Optional(IncidentStatus),
    overdue: Type.Optional(Type.Boolean()),
    from: Type.Optional(DateTime),
    to: Type.Optional(DateTime),
    q: Type.Optional(SearchText),
  },
  { additionalProperties: false },
);

export function incidentRoutes({ db, config }: Deps): FastifyPluginAsyncTypebox {
  const tz = config.timeZone;
  return async (app) => {
    const tags = ['incidents'];
    app.get(
      '/incidents',
      {
        onRequest: allow('incidents', 'read'),
        schema: { tags, querystring: ListQuery, response: { 200: PageOf(Incident), ...errorReplies } },
      },
      async (req) => listIncidents(db, principalOf(req), req.query, page(req.query)),
    );
    app.get(
      '/incidents/:id',
      {
        onRequest: allow('incidents', 'read'),
        schema: { tags, params: IdParams, response: { 200: Incident, ...errorReplies } },
      },
      async (req) => getIncident(db, principalOf(req), req.params.id),
    );
    app.post(
      '/incidents',
      {
        onRequest: allow('incidents', 'write'),
        schema: { tags, body: IncidentCreate, response: { 201: Incident, ...errorReplies } },
      },
      async (req, reply) => reply.status(201).send(await createIncident(db, principalOf(req), req.body, tz)),
    );
    app.patch(
      '/incidents/:id',
      {
        onRequest: allow('incidents', 'write'),
        schema: { tags, params: IdParams, body: IncidentPatch, response: { 200: Incident, ...errorReplies } },
      },
      async (req) => updateIncident(db, principalOf(req), req.params.id, req.body, tz),
    );
    app.delete(
      '/incidents/:id',
      {
        onRequest: allow('incidents', 'write'),
        schema: { tags, params: IdParams, response: { 204: Type.Null(), ...errorReplies } },
      },
      async (req, reply) => {
        await deleteIncident(db, principalOf(req), req.params.id);
        return reply.status(204).send(null);
      },
    );
  };
}
