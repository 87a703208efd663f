import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { getMonthlyReport, listMonthlyReports, regenerateReport } from '../../reports/monthly-repo.js';
import { reportCsv } from '../../reports/report-csv.js';
import { reportFilename } from '../../reports/report-table.js';
import { reportXlsx } from '../../reports/report-xlsx.js';
import type { Deps } from '../deps.js';
import { allow, principalOf } from '../guard.js';
import { errorReplies, StringEnum, Timestamp, Uuid } from '../schemas/common.js';
import { ContractorRow, Figures, Rate } from '../schemas/figures.js';

const Verdict = Type.Union([Type.Boolean(), Type.Null()]);
const NullableString = Type.Union([Type.String(), Type.Null()]);

const MonthParams = Type.Object(
  {
    month: Type.String({ pattern: '^[0-9]{4}-(0[1-9]|1[0-2])$', description: "a calendar month, 'YYYY-MM'" }),
  },
  { additionalProperties: false },
);

const Area = Type.Object({
  nodeId: Uuid,
  name: Type.String(),
  parentName: NullableString,
  cameras: Type.Integer(),
  figures: Figures,
  meetsTarget: Verdict,
});

const Snapshot = Type.Object({
  month: Type.String(),
  timeZone: Type.String(),
  from: Timestamp,
  to: Timestamp,
  target: Type.Number(),
  county: Area,
  towns: Type.Array(Area, { description: 'worst effective rate first' }),
  policeDistricts: Type.Array(Area, { description: 'worst effective rate first' }),
  days: Type.Array(Type.Object({ day: Type.String(), figures: Figures, meetsTarget: Verdict })),
  contractors: Type.Array(ContractorRow),
});

const Report = Type.Object({
  month: Type.String(),
  generatedAt: Timestamp,
  generatedBy: NullableString,
  figures: Snapshot,
});

const Summary = Type.Object({
  month: Type.String(),
  generatedAt: Timestamp,
  generatedBy: NullableString,
  cameras: Type.Integer(),
  effectiveRate: Rate,
  onlineRate: Rate,
  target: Type.Number(),
  meetsTarget: Verdict,
});

/** The county's monthly availability reports, kept as generated: list, read, download, regenerate. */
export function monthlyReportRoutes({ db, config }: Deps): FastifyPluginAsyncTypebox {
  return async (app) => {
    const tags = ['reports'];
    const read = allow('monthly-reports', 'read');
    app.get(
      '/reports/monthly',
      {
        onRequest: read,
        schema: {
          tags,
          description: 'The kept monthly availability reports, newest month first, with the county’s figures',
          response: { 200: Type.Object({ items: Type.Array(Summary) }), ...errorReplies },
        },
      },
      async () => ({ items: await listMonthlyReports(db) }),
    );

    app.get(
      '/reports/monthly/:month',
      {
        onRequest: read,
        schema: {
          tags,
          description:
            'One month’s report as generated: county, towns and police districts (worst first) against 95%, ' +
            'each day, contractors’ SLA; format json (default), csv (UTF-8 with BOM) or xlsx',
          params: MonthParams,
          querystring: Type.Object(
            { format: Type.Optional(StringEnum(['json', 'csv', 'xlsx'] as const)) },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Union([Report, Type.Unsafe<Buffer | string>({ type: 'string', format: 'binary' })]),
            ...errorReplies,
          },
        },
      },
      async (req, reply) => {
        const report = await getMonthlyReport(db, req.params.month);
        if (req.query.format === 'csv') {
          return reply
            .type('text/csv; charset=utf-8')
            .header('content-disposition', `attachment; filename="${reportFilename(report.month, 'csv')}"`)
            .send(reportCsv(report.figures));
        }
        if (req.query.format === 'xlsx') {
          return reply
            .type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
            .header('content-disposition', `attachment; filename="${reportFilename(report.month, 'xlsx')}"`)
            .send(await reportXlsx(report.figures));
        }
        return report;
      },
    );

    app.post(
      '/reports/monthly/:month/generate',
      {
        onRequest: allow('monthly-reports', 'write'),
        schema: {
          tags,
          description: 'Generates a month that is over again, from the figures as they stand now (admins)',
          params: MonthParams,
          response: { 200: Report, ...errorReplies },
        },
      },
      async (req) => regenerateReport(db, principalOf(req), req.params.month, config.timeZone, new Date()),
    );
  };
}
