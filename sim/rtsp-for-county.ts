import type { SimCameraSpec } from './camera-state.js';
import type { SimCounty } from './county.js';
import type { RtspCameraView } from './rtsp/fault-view.js';
import { ensureClips } from './rtsp/h264-clip.js';
import { type LightRtspServer, startLightRtspServer } from './rtsp/light-server.js';

/**
 * The streams of a simulated county: one light RTSP server per camera address, on the port of the camera's
 * registered stream URL, serving its main and sub paths with the camera's credentials and live faults.
 */
export async function startRtspForCounty(
  county: SimCounty,
  specs: readonly SimCameraSpec[],
): Promise<{ close: () => Promise<void> }> {
  const clips = await ensureClips();
  const byEndpoint = new Map<string, RtspCameraView[]>();
  for (const spec of specs) {
    const handle = county.camera(spec.id);
    if (!handle) continue;
    for (const [stream, url] of [
      ['main', spec.rtspUrls.main],
      ['sub', spec.rtspUrls.sub],
    ] as const) {
      const parsed = new URL(url);
      const key = `${parsed.hostname}:${parsed.port || 554}`;
      const views = byEndpoint.get(key) ?? [];
      views.push({
        id: `${spec.id}/${stream}`,
        path: parsed.pathname,
        username: spec.credentials.username,
        password: spec.credentials.password,
        auth: 'digest',
        faults: () => handle.state.faults,
      });
      byEndpoint.set(key, views);
    }
  }
  const servers: LightRtspServer[] = [];
  for (const [key, cameras] of byEndpoint) {
    const [host, port] = key.split(':') as [string, string];
    servers.push(await startLightRtspServer({ host, port: Number(port), cameras, clips }));
  }
  return { close: async () => void (await Promise.all(servers.map((s) => s.close()))) };
}
