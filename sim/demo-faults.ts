import type { SimFaults } from './camera-state.js';

/**
 * The realistic trouble of a demo county: a few cameras dark, a few with a bad picture, a clock or two adrift,
 * one wrong on-screen label. About 3–4% of the cameras are not effective, so the county sits near 96%.
 * Pure and deterministic: the same cameras fail on every run.
 */
export function demoFaults(cameraIds: readonly string[]): Map<string, Partial<SimFaults>> {
  const plan: Partial<SimFaults>[] = [
    ...Array.from({ length: 6 }, () => ({ offline: true })), // power cut or broken link in a village
    { black: true },
    { black: true }, // lens covered, or the video signal lost behind the encoder
    { frozen: true },
    { frozen: true }, // encoder hung on one frame
    { noise: true }, // water in the cable
    { streamStall: true }, // RTSP up, no video
    { authFails: true }, // somebody changed the password on site
    { clockDriftSeconds: 600 },
    { clockDriftSeconds: -900 }, // NTP off: evidence stamped with the wrong time
    { osdLabel: '未命名摄像机' }, // the on-screen label was never set
  ];
  const out = new Map<string, Partial<SimFaults>>();
  // every (n/plan)-th camera, so the trouble spreads over towns instead of clustering in the first one
  const step = Math.max(1, Math.floor(cameraIds.length / plan.length));
  plan.forEach((faults, i) => {
    const id = cameraIds[(i * step + 3) % cameraIds.length];
    if (id) out.set(id, faults);
  });
  return out;
}
