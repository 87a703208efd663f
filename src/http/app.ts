import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyInstance } from 'fastify';
import { principalForToken } from '../auth/sessions.js';
import { loggerOptions } from '../logger.js';
import type { Deps } from './deps.js';
import { errorHandler } from './error-handler.js';
import { alertRoutes } from './routes/alerts.js';
import { auditRoutes } from './routes/audit.js';
import { authRoutes, SESSION_COOKIE } from './routes/auth.js';
import { availabilityRoutes } from './routes/availability.js';
import { cameraRoutes } from './routes/cameras.js';
import { consoleRoutes } from './routes/console.js';
import { contractorRoutes } from './routes/contractors.js';
import { discoveryRoutes } from './routes/discovery.js';
import { districtRoutes } from './routes/districts.js';
import { exclusionRoutes } from './routes/exclusions.js';
import { exportRoutes } from './routes/exports.js';
import { incidentRoutes } from './routes/incidents.js';
import { inventoryRoutes } from './routes/inventory.js';
import { liveRoutes } from './routes/live.js';
import { monthlyReportRoutes } from './routes/monthly-reports.js';
import { notificationRoutes } from './routes/notifications.js';
import { opsRoutes } from './routes/ops.js';
import { playerRoutes } from './routes/player.js';
import { reportRoutes } from './routes/reports.js';
import { staffRoutes } from './routes/staff.js';
import { ticketRoutes } from './routes/tickets.js';
import { userRoutes } from './routes/users.js';
import { internalRelayRoutes, videoRoutes } from './routes/video.js';

export type App = FastifyInstance;

function bearer(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match?.[1] ?? null;
}

/** `logStream` replaces stdout for the request log (tests read it to prove no secret is written). */
export async function buildApp(deps: Deps, opts: { logStream?: NodeJS.WritableStream } = {}): Promise<App> {
  const app = Fastify({
    logger: { ...loggerOptions(deps.config.logLevel), ...(opts.logStream ? { stream: opts.logStream } : {}) },
    bodyLimit: 1024 * 1024,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
    trustProxy: false,
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send({
      statusCode: 404,
      error: 'Not Found',
      message: `no route ${request.method} ${request.url.split('?')[0]}`,
    });
  });

  await app.register(cookie);
  // Before @fastify/websocket's own preClose (which closes without a code, 1005): consoles and players are
  // told the server is going away (1001), so they reconnect to another instance at once.
  app.addHook('preClose', (done) => {
    for (const client of app.websocketServer?.clients ?? []) client.close(1001, 'server shutting down');
    done();
  });
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });
  await app.register(rateLimit, { global: false, redis: deps.redis, nameSpace: 'rate-limit:' });
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Xueliang API',
        version: '1',
        description: 'County camera network: governance, health, availability',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request) => {
    const token = bearer(request.headers.authorization) ?? request.cookies[SESSION_COOKIE] ?? null;
    if (token) request.principal = await principalForToken(deps.db, token);
  });
  app.addHook('onResponse', async (request, reply) => {
    deps.metrics.httpDuration.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status_code: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
  });

  await app.register(opsRoutes(deps));
  await app.register(internalRelayRoutes(deps));
  await app.register(playerRoutes());
  await app.register(consoleRoutes(deps.config.http.consoleDir));
  await app.register(
    async (api) => {
      await api.register(authRoutes(deps));
      await api.register(districtRoutes(deps));
      await api.register(staffRoutes(deps));
      await api.register(contractorRoutes(deps));
      await api.register(cameraRoutes(deps));
      await api.register(incidentRoutes(deps));
      await api.register(userRoutes(deps));
      await api.register(auditRoutes(deps));
      await api.register(discoveryRoutes(deps));
      await api.register(inventoryRoutes(deps));
      await api.register(availabilityRoutes(deps));
      await api.register(exclusionRoutes(deps));
      await api.register(liveRoutes(deps));
      await api.register(alertRoutes(deps));
      await api.register(ticketRoutes(deps));
      await api.register(reportRoutes(deps));
      await api.register(monthlyReportRoutes(deps));
      await api.register(exportRoutes(deps));
      await api.register(notificationRoutes(deps));
      await api.register(videoRoutes(deps));
    },
    { prefix: '/api/v1' },
  );
  return app;
}
