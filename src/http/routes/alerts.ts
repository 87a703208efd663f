import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import {
  acknowledgeAlert,
  getAlert,
  listAlertRules,
  listAlerts,
  setAlertRule,
} from '../../alerting/alerts-repo.js';
import { nudgeFeed } from '../../alerting/feed-repo.js';
import { ALERT_CAUSES } from '../../alerting/rules.js';
import type { Role } from '../../auth/policy.js';
import { withTransaction } from '../../db.js';
import { ForbiddenError } from '../../errors.js';
import type { Deps } from '../deps.js';
import { allow, principalOf } from '../guard.js';
import {
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

const STATUSES = ['open', 'acknowledged', 'resolved'] as const;
const SEVERITIES = ['critical', 'major', 'minor'] as const;
const NullableString = Type.Union([Type.String(), Type.Null()]);

const alertFields = {
  id: Type.Integer(),
  kind: StringEnum(['camera', 'group'] as const),
  cause: Type.String(),
  severity: StringEnum(SEVERITIES),
  status: StringEnum(STATUSES),
  detail: NullableString,
  cameraId: NullableUuid,
  cameraName: NullableString,
  placeId: Uuid,
  placePath: Type.Array(Type.String(), { description: 'names from the county down to the place' }),
  groupId: Type.Union([Type.Integer(), Type.Null()]),
  cameraCount: Type.Union([Type.Integer(), Type.Null()]),
  openedAt: Timestamp,
  acknowledgedAt: NullableTimestamp,
  acknowledgedBy: NullableUuid,
  acknowledgedByUsername: NullableString,
  resolvedAt: NullableTimestamp,
};
const Alert = Type.Object(alertFields);
const ListedAlert = Type.Object({
  ...alertFields,
  children: Type.Optional(
    Type.Array(Alert, { description: 'group alerts: the camera alerts folded into it' }),
  ),
});
const AlertDetail = Type.Object({
  ...alertFields,
  children: Type.Array(Alert),
  history: Type.Array(
    Type.Object({
      feedId: Type.Integer(),
      kind: Type.String(),
      at: Timestamp,
      actor: NullableUuid,
      actorUsername: NullableString,
      payload: Type.Record(Type.String(), Type.Unknown()),
    }),
  ),
});
const AlertRule = Type.Object({
  cause: StringEnum(ALERT_CAUSES),
  enabled: Type.Boolean(),
  severity: StringEnum(SEVERITIES),
  configured: Type.Boolean({ description: 'false: the built-in default applies' }),
  updatedBy: NullableUuid,
  updatedAt: NullableTimestamp,
});
const AlertIdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) }, { additionalProperties: false });

/** The alert rules are county policy: the bureau reads them, admins set them. */
function roles(...allowed: Role[]) {
  return async (request: FastifyRequest): Promise<void> => {
    const who = principalOf(request);
    if (!allowed.includes(who.role))
      throw new ForbiddenError(`role '${who.role}' may not do this to alert rules`);
  };
}

/** Alerts: list within scope, acknowledge, rules. */
export function alertRoutes({ db, redis, config, log }: Deps): FastifyPluginAsyncTypebox {
  return async (app) => {
    const tags = ['alerts'];
    app.get(
      '/alerts',
      {
        onRequest: allow('alerts', 'read'),
        schema: {
          tags,
          description:
            'Alerts in scope, newest first. Camera alerts folded into a group alert are listed under it, unless includeFolded.',
          querystring: Type.Object(
            {
              ...PageQuery,
              status: Type.Optional(Type.Array(StringEnum(STATUSES))),
              cause: Type.Optional(StringEnum(ALERT_CAUSES)),
              severity: Type.Optional(StringEnum(SEVERITIES)),
              since: Type.Optional(Type.String({ format: 'date-time', description: 'opened at or after' })),
              includeFolded: Type.Optional(Type.Boolean()),
            },
            { additionalProperties: false },
          ),
          response: { 200: PageOf(ListedAlert), ...errorReplies },
        },
      },
      async (req) => listAlerts(db, principalOf(req), req.query, page(req.query)),
    );
    app.get(
      '/alerts/:id',
      {
        onRequest: allow('alerts', 'read'),
        schema: { tags, params: AlertIdParams, response: { 200: AlertDetail, ...errorReplies } },
      },
      async (req) => getAlert(db, principalOf(req), req.params.id),
    );
    app.post(
      '/alerts/:id/acknowledge',
      {
        onRequest: allow('alerts', 'write'),
        schema: {
          tags,
          description:
            "Acknowledges an open alert (a group's open camera alerts with it); 409 once resolved.",
          params: AlertIdParams,
          body: Type.Union([
            Type.Object(
              { note: Type.Optional(Type.String({ maxLength: 500 })) },
              { additionalProperties: false },
            ),
            Type.Null(),
          ]),
          response: { 200: AlertDetail, ...errorReplies },
        },
      },
      async (req) => {
        const who = principalOf(req);
        const lastId = await withTransaction(db, (tx) =>
          acknowledgeAlert(tx, who, req.params.id, req.body?.note ?? null),
        );
        // after commit; a lost nudge only waits for the consoles' next poll
        await nudgeFeed(redis, config, lastId).catch((err: Error) =>
          log.warn({ err: { message: err.message } }, 'alerts: feed nudge failed'),
        );
        return getAlert(db, who, req.params.id);
      },
    );
    app.get(
      '/alert-rules',
      {
        onRequest: roles('admin', 'bureau'),
        schema: { tags, response: { 200: Type.Object({ items: Type.Array(AlertRule) }), ...errorReplies } },
      },
      async () => ({ items: await listAlertRules(db) }),
    );
    app.put(
      '/alert-rules/:cause',
      {
        onRequest: roles('admin'),
        schema: {
          tags,
          params: Type.Object({ cause: StringEnum(ALERT_CAUSES) }, { additionalProperties: false }),
          body: Type.Object(
            { enabled: Type.Boolean(), severity: StringEnum(SEVERITIES) },
            { additionalProperties: false },
          ),
          response: { 200: AlertRule, ...errorReplies },
        },
      },
      async (req) =>
        withTransaction(db, (tx) => setAlertRule(tx, principalOf(req), req.params.cause, req.body)),
    );
  };
}
