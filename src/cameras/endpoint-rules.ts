/** Rules for the addresses a camera is registered with. Credentials never travel inside a URL here. */

export type EndpointCheck = { ok: true } | { ok: false; reason: string };

export function checkEndpointUrl(url: string, protocols: readonly string[]): EndpointCheck {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, reason: 'is not a URL' };
  }
  if (!protocols.includes(parsed.protocol)) {
    return { ok: false, reason: `must use ${protocols.map((p) => p.replace(':', '')).join(' or ')}` };
  }
  if (parsed.username !== '' || parsed.password !== '') {
    // The reason must not echo the URL: it holds the secret we are refusing.
    return { ok: false, reason: 'must not carry credentials; send them in `credentials`' };
  }
  if (parsed.hostname === '') return { ok: false, reason: 'has no host' };
  return { ok: true };
}

export const RTSP_PROTOCOLS = ['rtsp:', 'rtsps:'] as const;
export const ONVIF_PROTOCOLS = ['http:', 'https:'] as const;
