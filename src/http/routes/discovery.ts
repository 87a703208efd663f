import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { withDeadline } from '../../deadline.js';
import { expandCidrs } from '../../discovery/cidr.js';
import { acceptMove, adoptDevice, getDevice, listDevices } from '../../discovery/devices-repo.js';
import {
  createScan,
  finishScan,
  getScan,
  listScans,
  requestCancel,
  type ScanParams,
} from '../../discovery/scans-repo.js';
import { AppError, ValidationError } from '../../errors.js';
import { getDistrict } from '../../governance/districts.js';
import type { Deps } from '../deps.js';
import { allow, principalOf } from '../guard.js';
import {
  ErrorReply,
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

const MATCHES = ['new', 'known', 'moved', 'serial_changed', 'missing'] as const;
const NullableString = Type.Union([Type.String(), Type.Null()]);

const Scan = Type.Object({
  id: Uuid,
  kind: StringEnum(['unicast', 'multicast'] as const),
  params: Type.Record(Type.String(), Type.Unknown()),
  districtId: NullableUuid,
  status: StringEnum(['queued', 'running', 'done', 'cancelled', 'failed'] as const),
  cancelRequested: Type.Boolean(),
  progress: Type.Object({ total: Type.Integer(), probed: Type.Integer(), found: Type.Integer() }),
  error: NullableString,
  createdAt: Timestamp,
  startedAt: NullableTimestamp,
  finishedAt: NullableTimestamp,
});

const Device = Type.Object({
  id: Uuid,
  scanId: Uuid,
  address: Type.String(),
  deviceUrl: NullableString,
  endpointRef: NullableString,
  scopes: Type.Array(Type.String()),
  serialNumber: NullableString,
  match: StringEnum(MATCHES),
  cameraId: NullableUuid,
  previousAddress: NullableString,
  adoptedAt: NullableTimestamp,
  seenAt: Timestamp,
});

const ScanRequest = Type.Object(
  {
    kind: StringEnum(['unicast', 'multicast'] as const),
    cidrs: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { minItems: 1, maxItems: 256 })),
    districtId: Type.Optional(Uuid),
    ports: Type.Optional(
      Type.Array(Type.Integer({ minimum: 1, maximum: 65535 }), { minItems: 1, maxItems: 8 }),
    ),
    concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 4096 })),
    interface: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._-]{1,15}$' })),
  },
  { additionalProperties: false },
);

const Adopt = Type.Object(
  {
    siteId: Uuid,
    name: Name,
    gbCode: Type.String({ minLength: 1, maxLength: 20 }),
    vendor: Type.Optional(Type.String({ pattern: '^[a-z0-9-]{1,32}$' })),
    credentials: Type.Optional(
      Type.Object(
        {
          username: Type.String({ minLength: 1, maxLength: 64 }),
          password: Type.String({ minLength: 1, maxLength: 128 }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export function discoveryRoutes({ db, vault, config, queues }: Deps): FastifyPluginAsyncTypebox {
  const scope = { timeZone: config.timeZone };
  return async (app) => {
    const tags = ['discovery'];
    const read = allow('discovery', 'read');
    const write = allow('discovery', 'write');

    app.post(
      '/discovery/scans',
      {
        onRequest: write,
        schema: { tags, body: ScanRequest, response: { 202: Scan, 503: ErrorReply, ...errorReplies } },
      },
      async (req, reply) => {
        const who = principalOf(req);
        const body = req.body;
        let params: ScanParams;
        let total = 0;
        if (body.kind === 'multicast') {
          if (!body.interface) throw new ValidationError('interface', 'is required for a multicast scan');
          params = { kind: 'multicast', interface: body.interface };
        } else {
          let cidrs = body.cidrs;
          if (!cidrs && body.districtId) {
            await getDistrict(db, who, body.districtId);
            const { rows } = await db.query<{ cidrs: string[] }>(
              'SELECT network_cidrs::text[] AS cidrs FROM districts WHERE id = $1',
              [body.districtId],
            );
            cidrs = rows[0]?.cidrs ?? [];
            if (cidrs.length === 0)
              throw new ValidationError('districtId', 'this node has no network ranges to scan');
          }
          if (!cidrs)
            throw new ValidationError(
              'cidrs',
              'is required for a unicast scan (or a districtId with ranges)',
            );
          const expanded = expandCidrs(cidrs);
          if (!expanded.ok) throw new ValidationError(`cidrs.${expanded.index}`, expanded.reason);
          total = expanded.addresses.length;
          params = {
            kind: 'unicast',
            cidrs,
            ports: body.ports ?? [80],
            concurrency: body.concurrency ?? config.discovery.concurrency,
          };
        }
        const scan = await createScan(db, who, params, body.districtId ?? null, total);
        try {
          // jobId = scan id: a second enqueue of the same scan is a no-op
          await withDeadline(
            queues.discovery.add('scan', { scanId: scan.id }, { jobId: scan.id }),
            config.dependencyTimeoutMs,
            'redis',
          );
        } catch (err) {
          await finishScan(db, scan.id, 'failed', 'the job queue could not be reached');
          req.log.error({ err: { message: (err as Error).message } }, 'discovery: enqueue failed');
          throw new AppError(503, 'discovery: the job queue is unavailable; try again shortly');
        }
        return reply.status(202).send(scan);
      },
    );
    app.get(
      '/discovery/scans',
      {
        onRequest: read,
        schema: {
          tags,
          querystring: Type.Object(PageQuery, { additionalProperties: false }),
          response: { 200: PageOf(Scan), ...errorReplies },
        },
      },
      async (req) => listScans(db, page(req.query)),
    );
    app.get(
      '/discovery/scans/:id',
      { onRequest: read, schema: { tags, params: IdParams, response: { 200: Scan, ...errorReplies } } },
      async (req) => getScan(db, req.params.id),
    );
    app.post(
      '/discovery/scans/:id/cancel',
      { onRequest: write, schema: { tags, params: IdParams, response: { 202: Scan, ...errorReplies } } },
      async (req, reply) => reply.status(202).send(await requestCancel(db, principalOf(req), req.params.id)),
    );
    app.get(
      '/discovery/scans/:id/devices',
      {
        onRequest: read,
        schema: {
          tags,
          params: IdParams,
          querystring: Type.Object(
            { ...PageQuery, match: Type.Optional(StringEnum(MATCHES)) },
            { additionalProperties: false },
          ),
          response: { 200: PageOf(Device), ...errorReplies },
        },
      },
      async (req) => {
        await getScan(db, req.params.id);
        return listDevices(db, req.params.id, req.query, page(req.query));
      },
    );
    app.get(
      '/discovery/devices/:id',
      { onRequest: read, schema: { tags, params: IdParams, response: { 200: Device, ...errorReplies } } },
      async (req) => getDevice(db, req.params.id),
    );
    app.post(
      '/discovery/devices/:id/adopt',
      {
        onRequest: write,
        schema: {
          tags,
          params: IdParams,
          body: Adopt,
          response: { 201: Type.Object({ cameraId: Uuid }), ...errorReplies },
        },
      },
      async (req, reply) => {
        const camera = await adoptDevice(db, vault, principalOf(req), scope, req.params.id, req.body);
        return reply.status(201).send({ cameraId: camera.id });
      },
    );
    app.post(
      '/discovery/devices/:id/accept-move',
      {
        onRequest: write,
        schema: {
          tags,
          params: IdParams,
          response: { 200: Type.Object({ cameraId: Uuid }), ...errorReplies },
        },
      },
      async (req) => ({ cameraId: (await acceptMove(db, principalOf(req), scope, req.params.id)).id }),
    );
  };
}
