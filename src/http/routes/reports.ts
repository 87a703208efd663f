import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ValidationError } from '../../errors.js';
import { contractorReport, openFaultsReport } from '../../tickets/reports-repo.js';
import type { Deps } from '../deps.js';
import { allow, principalOf } from '../guard.js';
import { errorReplies, NullableTimestamp, Timestamp, Uuid } from '../schemas/common.js';
import { ContractorRow } from '../schemas/figures.js';

const DAY = 86_400_000;

const OpenFaultsRow = Type.Object({
  districtId: Uuid,
  name: Type.String(),
  placePath: Type.Array(Type.String()),
  openAlerts: Type.Object({ critical: Type.Integer(), major: Type.Integer(), minor: Type.Integer() }),
  oldestOpenedAt: NullableTimestamp,
  oldestAgeMinutes: Type.Union([Type.Integer(), Type.Null()]),
  openTickets: Type.Integer(),
});

/** SLA and open-fault reports, each within the reader's scope. */
export function reportRoutes({ db }: Deps): FastifyPluginAsyncTypebox {
  return async (app) => {
    const tags = ['reports'];
    app.get(
      '/reports/contractors',
      {
        onRequest: allow('reports', 'read'),
        schema: {
          tags,
          description:
            'Per contractor, the tickets opened in [from, to) (default: the last 30 days): how many closed, met ' +
            'or breached their SLA, mean minutes to acknowledge and to repair, hours excluded as external cause',
          querystring: Type.Object(
            {
              from: Type.Optional(Type.String({ format: 'date-time' })),
              to: Type.Optional(Type.String({ format: 'date-time' })),
            },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object({ from: Timestamp, to: Timestamp, rows: Type.Array(ContractorRow) }),
            ...errorReplies,
          },
        },
      },
      async (req) => {
        const to = req.query.to ? new Date(req.query.to) : new Date();
        const from = req.query.from ? new Date(req.query.from) : new Date(to.getTime() - 30 * DAY);
        if (to <= from) throw new ValidationError('to', 'must be after from');
        return { from, to, rows: await contractorReport(db, principalOf(req), { from, to }) };
      },
    );
    app.get(
      '/reports/open-faults',
      {
        onRequest: allow('reports', 'read'),
        schema: {
          tags,
          description:
            'Per police district (under districtId if given), the camera alerts and tickets open now',
          querystring: Type.Object({ districtId: Type.Optional(Uuid) }, { additionalProperties: false }),
          response: { 200: Type.Object({ rows: Type.Array(OpenFaultsRow) }), ...errorReplies },
        },
      },
      async (req) => ({ rows: await openFaultsReport(db, principalOf(req), req.query.districtId) }),
    );
  };
}
