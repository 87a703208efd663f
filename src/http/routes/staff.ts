import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import {
  createPoliceOffice,
  deletePoliceOffice,
  getPoliceOffice,
  listPoliceOffices,
  updatePoliceOffice,
} from '../../governance/police-offices.js';
import {
  createStaff,
  deleteStaff,
  getStaff,
  listStaff,
  staffingGapsReport,
  updateStaff,
} from '../../governance/staff.js';
import { STAFF_ROLES } from '../../governance/staffing-rules.js';
import type { Deps } from '../deps.js';
import { allow, principalOf } from '../guard.js';
import {
  DateOnly,
  errorReplies,
  IdParams,
  Name,
  NullableUuid,
  PageOf,
  PageQuery,
  Phone,
  page,
  SearchText,
  StringEnum,
  Timestamp,
  Uuid,
} from '../schemas/common.js';

const Address = Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Null()]);
const Year = Type.Union([Type.Integer({ minimum: 1949, maximum: 2100 }), Type.Null()]);

const PoliceOffice = Type.Object({
  id: Uuid,
  districtId: Uuid,
  name: Type.String(),
  address: Type.Union([Type.String(), Type.Null()]),
  phone: Type.Union([Type.String(), Type.Null()]),
  establishedYear: Type.Union([Type.Integer(), Type.Null()]),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

const officeFields = {
  districtId: Uuid,
  name: Name,
  address: Type.Optional(Address),
  phone: Type.Optional(Phone),
  establishedYear: Type.Optional(Year),
};
const PoliceOfficeCreate = Type.Object(officeFields, { additionalProperties: false });
const PoliceOfficePatch = Type.Partial(Type.Object(officeFields), {
  additionalProperties: false,
  minProperties: 1,
});

const OfficeListQuery = Type.Object(
  { ...PageQuery, under: Type.Optional(Uuid), q: Type.Optional(SearchText) },
  { additionalProperties: false },
);

const Role = StringEnum(STAFF_ROLES);
const NullableDate = Type.Union([DateOnly, Type.Null()]);
const StaffName = Type.String({ minLength: 1, maxLength: 50 });

const Staff = Type.Object({
  id: Uuid,
  role: Role,
  name: Type.String(),
  phone: Type.Union([Type.String(), Type.Null()]),
  birthDate: NullableDate,
  districtId: Uuid,
  supervisorId: NullableUuid,
  active: Type.Boolean(),
  appointedOn: NullableDate,
  age: Type.Union([Type.Integer(), Type.Null()]),
  dueForReplacement: Type.Boolean(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

const staffFields = {
  role: Role,
  name: StaffName,
  phone: Type.Optional(Phone),
  birthDate: Type.Optional(NullableDate),
  districtId: Uuid,
  supervisorId: Type.Optional(NullableUuid),
  active: Type.Optional(Type.Boolean()),
  appointedOn: Type.Optional(NullableDate),
};
const StaffCreate = Type.Object(staffFields, { additionalProperties: false });
const StaffPatch = Type.Partial(Type.Object(staffFields), { additionalProperties: false, minProperties: 1 });

const StaffListQuery = Type.Object(
  {
    ...PageQuery,
    under: Type.Optional(Uuid),
    districtId: Type.Optional(Uuid),
    role: Type.Optional(Role),
    active: Type.Optional(Type.Boolean()),
    q: Type.Optional(SearchText),
  },
  { additionalProperties: false },
);

const where = { districtId: Uuid, districtName: Type.String() };
const StaffingGap = Type.Union([
  Type.Object({ kind: Type.Literal('no_community_officer'), ...where }),
  Type.Object({
    kind: Type.Literal('auxiliaries_out_of_range'),
    ...where,
    officerId: Uuid,
    officerName: Type.String(),
    auxiliaries: Type.Integer(),
  }),
  Type.Object({
    kind: Type.Literal('assistant_over_age'),
    ...where,
    staffId: Uuid,
    staffName: Type.String(),
    age: Type.Integer(),
  }),
]);
const GapsQuery = Type.Object({ under: Type.Optional(Uuid) }, { additionalProperties: false });

/** Police offices, the 1+X+N staff and the staffing-gap report. */
export function staffRoutes({ db, config }: Deps): FastifyPluginAsyncTypebox {
  const tz = config.timeZone;
  return async (app) => {
    const offices = { tags: ['police-offices'] };
    const read = allow('police-offices', 'read');
    const write = allow('police-offices', 'write');
    app.get(
      '/police-offices',
      {
        onRequest: read,
        schema: {
          ...offices,
          querystring: OfficeListQuery,
          response: { 200: PageOf(PoliceOffice), ...errorReplies },
        },
      },
      async (req) => listPoliceOffices(db, principalOf(req), req.query, page(req.query)),
    );
    app.get(
      '/police-offices/:id',
      {
        onRequest: read,
        schema: { ...offices, params: IdParams, response: { 200: PoliceOffice, ...errorReplies } },
      },
      async (req) => getPoliceOffice(db, principalOf(req), req.params.id),
    );
    app.post(
      '/police-offices',
      {
        onRequest: write,
        schema: { ...offices, body: PoliceOfficeCreate, response: { 201: PoliceOffice, ...errorReplies } },
      },
      async (req, reply) => reply.status(201).send(await createPoliceOffice(db, principalOf(req), req.body)),
    );
    app.patch(
      '/police-offices/:id',
      {
        onRequest: write,
        schema: {
          ...offices,
          params: IdParams,
          body: PoliceOfficePatch,
          response: { 200: PoliceOffice, ...errorReplies },
        },
      },
      async (req) => updatePoliceOffice(db, principalOf(req), req.params.id, req.body),
    );
    app.delete(
      '/police-offices/:id',
      {
        onRequest: write,
        schema: { ...offices, params: IdParams, response: { 204: Type.Null(), ...errorReplies } },
      },
      async (req, reply) => {
        await deletePoliceOffice(db, principalOf(req), req.params.id);
        return reply.status(204).send(null);
      },
    );

    const staff = { tags: ['staff'] };
    const readStaff = allow('staff', 'read');
    const writeStaff = allow('staff', 'write');
    app.get(
      '/staff',
      {
        onRequest: readStaff,
        schema: { ...staff, querystring: StaffListQuery, response: { 200: PageOf(Staff), ...errorReplies } },
      },
      async (req) => listStaff(db, principalOf(req), req.query, page(req.query), tz),
    );
    app.get(
      '/staff/:id',
      {
        onRequest: readStaff,
        schema: { ...staff, params: IdParams, response: { 200: Staff, ...errorReplies } },
      },
      async (req) => getStaff(db, principalOf(req), req.params.id, tz),
    );
    app.post(
      '/staff',
      {
        onRequest: writeStaff,
        schema: { ...staff, body: StaffCreate, response: { 201: Staff, ...errorReplies } },
      },
      async (req, reply) => reply.status(201).send(await createStaff(db, principalOf(req), req.body, tz)),
    );
    app.patch(
      '/staff/:id',
      {
        onRequest: writeStaff,
        schema: { ...staff, params: IdParams, body: StaffPatch, response: { 200: Staff, ...errorReplies } },
      },
      async (req) => updateStaff(db, principalOf(req), req.params.id, req.body, tz),
    );
    app.delete(
      '/staff/:id',
      {
        onRequest: writeStaff,
        schema: { ...staff, params: IdParams, response: { 204: Type.Null(), ...errorReplies } },
      },
      async (req, reply) => {
        await deleteStaff(db, principalOf(req), req.params.id);
        return reply.status(204).send(null);
      },
    );
    app.get(
      '/staffing/gaps',
      {
        onRequest: readStaff,
        schema: {
          ...staff,
          querystring: GapsQuery,
          response: { 200: Type.Object({ gaps: Type.Array(StaffingGap) }), ...errorReplies },
        },
      },
      async (req) => ({ gaps: await staffingGapsReport(db, principalOf(req), req.query, tz) }),
    );
  };
}
