import Fastify, { type FastifyReply } from 'fastify';
import { SimInputError } from './camera-state.js';
import type { SimCameraHandle } from './county.js';

/**
 * The simulated county's control API (JSON over HTTP on 127.0.0.1):
 *   GET   /cameras                  every camera: id, host, device URL, faults
 *   GET   /cameras/:id
 *   PATCH /cameras/:id/faults       fault fields; an unknown field or a bad value is a 400 naming it
 *   POST  /cameras/:id/reset        clears every fault
 *   PATCH /cameras/:id/identity     firmwareVersion, serialNumber, host
 */

export interface ControlTarget {
  cameras: readonly SimCameraHandle[];
  camera(id: string): SimCameraHandle | undefined;
}

export function cameraView(c: SimCameraHandle) {
  const { spec, endpointReference, identity, faults, osdLabel, clockAheadSeconds } = c.state;
  return {
    id: c.id,
    host: c.host,
    onvifPort: c.onvifPort,
    deviceUrl: c.deviceUrl,
    listening: c.listening,
    endpointReference,
    authStyle: spec.authStyle,
    identity,
    osdLabel,
    clockAheadSeconds,
    rtspUrls: spec.rtspUrls,
    faults,
  };
}

export async function startControlApi(
  target: ControlTarget,
  port: number,
): Promise<{ url: string; close: () => Promise<void> }> {
  const app = Fastify({ logger: false });

  const withCamera = (id: string, reply: FastifyReply): SimCameraHandle | null => {
    const cam = target.camera(id);
    if (!cam) void reply.code(404).send({ error: 'not_found', message: `no camera ${id}` });
    return cam ?? null;
  };

  const refuse = (err: unknown, reply: FastifyReply) => {
    if (err instanceof SimInputError) {
      return reply.code(400).send({ error: 'bad_request', field: err.field, message: err.message });
    }
    const message = err instanceof Error ? err.message : String(err);
    return reply.code(409).send({ error: 'conflict', message });
  };

  app.get('/cameras', async () => target.cameras.map(cameraView));

  app.get<{ Params: { id: string } }>('/cameras/:id', async (req, reply) => {
    const cam = withCamera(req.params.id, reply);
    return cam ? cameraView(cam) : reply;
  });

  app.patch<{ Params: { id: string } }>('/cameras/:id/faults', async (req, reply) => {
    const cam = withCamera(req.params.id, reply);
    if (!cam) return reply;
    try {
      await cam.setFaults(req.body as Record<string, unknown>);
      return cameraView(cam);
    } catch (err) {
      return refuse(err, reply);
    }
  });

  app.post<{ Params: { id: string } }>('/cameras/:id/reset', async (req, reply) => {
    const cam = withCamera(req.params.id, reply);
    if (!cam) return reply;
    await cam.resetFaults();
    return cameraView(cam);
  });

  app.patch<{ Params: { id: string } }>('/cameras/:id/identity', async (req, reply) => {
    const cam = withCamera(req.params.id, reply);
    if (!cam) return reply;
    try {
      await cam.setIdentity(req.body as Record<string, unknown>);
      return cameraView(cam);
    } catch (err) {
      return refuse(err, reply);
    }
  });

  await app.listen({ host: '127.0.0.1', port });
  const addr = app.server.address();
  const actual = addr && typeof addr === 'object' ? addr.port : port;
  return { url: `http://127.0.0.1:${actual}`, close: () => app.close() };
}
