import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import {
  createContractor,
  deleteContractor,
  getContractor,
  listContractors,
  updateContractor,
} from '../../governance/contractors.js';
import {
  createContract,
  deleteContract,
  getContract,
  listContracts,
  updateContract,
} from '../../governance/contracts.js';
import type { Deps } from '../deps.js';
import { allow, principalOf } from '../guard.js';
import {
  DateOnly,
  errorReplies,
  IdParams,
  Name,
  PageOf,
  PageQuery,
  Phone,
  page,
  SearchText,
  Timestamp,
  Uuid,
} from '../schemas/common.js';

const Contractor = Type.Object({
  id: Uuid,
  name: Type.String(),
  contactName: Type.Union([Type.String(), Type.Null()]),
  phone: Type.Union([Type.String(), Type.Null()]),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

const ContractorFields = {
  name: Name,
  contactName: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 50 }), Type.Null()])),
  phone: Type.Optional(Phone),
};

const Hours = Type.Integer({ minimum: 1, maximum: 720 });
const Contract = Type.Object({
  id: Uuid,
  contractorId: Uuid,
  reference: Type.String(),
  validFrom: DateOnly,
  validTo: DateOnly,
  faultThresholdMinutes: Type.Integer(),
  slaHoursTownSeat: Type.Integer(),
  slaHoursVillage: Type.Integer(),
  areaIds: Type.Array(Uuid),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

const ContractTerms = {
  validFrom: DateOnly,
  validTo: DateOnly,
  faultThresholdMinutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 10080 })),
  slaHoursTownSeat: Type.Optional(Hours),
  slaHoursVillage: Type.Optional(Hours),
  areaIds: Type.Array(Uuid, { minItems: 1, maxItems: 1000 }),
};

const ContractCreate = Type.Object(
  { contractorId: Uuid, reference: Type.String({ minLength: 1, maxLength: 64 }), ...ContractTerms },
  { additionalProperties: false },
);
const ContractPatch = Type.Partial(Type.Object(ContractTerms, { additionalProperties: false }), {
  additionalProperties: false,
  minProperties: 1,
});

export function contractorRoutes({ db }: Deps): FastifyPluginAsyncTypebox {
  return async (app) => {
    let tags = ['contractors'];
    app.get(
      '/contractors',
      {
        onRequest: allow('contractors', 'read'),
        schema: {
          tags,
          querystring: Type.Object(
            { ...PageQuery, q: Type.Optional(SearchText) },
            { additionalProperties: false },
          ),
          response: { 200: PageOf(Contractor), ...errorReplies },
        },
      },
      async (req) => listContractors(db, principalOf(req), req.query, page(req.query)),
    );
    app.get(
      '/contractors/:id',
      {
        onRequest: allow('contractors', 'read'),
        schema: { tags, params: IdParams, response: { 200: Contractor, ...errorReplies } },
      },
      async (req) => getContractor(db, principalOf(req), req.params.id),
    );
    app.post(
      '/contractors',
      {
        onRequest: allow('contractors', 'write'),
        schema: {
          tags,
          body: Type.Object(ContractorFields, { additionalProperties: false }),
          response: { 201: Contractor, ...errorReplies },
        },
      },
      async (req, reply) => reply.status(201).send(await createContractor(db, principalOf(req), req.body)),
    );
    app.patch(
      '/contractors/:id',
      {
        onRequest: allow('contractors', 'write'),
        schema: {
          tags,
          params: IdParams,
          body: Type.Partial(Type.Object(ContractorFields), {
            additionalProperties: false,
            minProperties: 1,
          }),
          response: { 200: Contractor, ...errorReplies },
        },
      },
      async (req) => updateContractor(db, principalOf(req), req.params.id, req.body),
    );
    app.delete(
      '/contractors/:id',
      {
        onRequest: allow('contractors', 'write'),
        schema: { tags, params: IdParams, response: { 204: Type.Null(), ...errorReplies } },
      },
      async (req, reply) => {
        await deleteContractor(db, principalOf(req), req.params.id);
        return reply.status(204).send(null);
      },
    );

    tags = ['contracts'];
    app.get(
      '/contracts',
      {
        onRequest: allow('contracts', 'read'),
        schema: {
          tags,
          querystring: Type.Object(
            {
              ...PageQuery,
              contractorId: Type.Optional(Uuid),
              inForceOn: Type.Optional(DateOnly),
              areaId: Type.Optional(Uuid),
            },
            { additionalProperties: false },
          ),
          response: { 200: PageOf(Contract), ...errorReplies },
        },
      },
      async (req) => listContracts(db, principalOf(req), req.query, page(req.query)),
    );
    app.get(
      '/contracts/:id',
      {
        onRequest: allow('contracts', 'read'),
        schema: { tags, params: IdParams, response: { 200: Contract, ...errorReplies } },
      },
      async (req) => getContract(db, principalOf(req), req.params.id),
    );
    app.post(
      '/contracts',
      {
        onRequest: allow('contracts', 'write'),
        schema: { tags, body: ContractCreate, response: { 201: Contract, ...errorReplies } },
      },
      async (req, reply) => reply.status(201).send(await createContract(db, principalOf(req), req.body)),
    );
    app.patch(
      '/contracts/:id',
      {
        onRequest: allow('contracts', 'write'),
        schema: { tags, params: IdParams, body: ContractPatch, response: { 200: Contract, ...errorReplies } },
      },
      async (req) => updateContract(db, principalOf(req), req.params.id, req.body),
    );
    app.delete(
      '/contracts/:id',
      {
        onRequest: allow('contracts', 'write'),
        schema: { tags, params: IdParams, response: { 204: Type.Null(), ...errorReplies } },
      },
      async (req, reply) => {
        await deleteContract(db, principalOf(req), req.params.id);
        return reply.status(204).send(null);
      },
    );
  };
}
