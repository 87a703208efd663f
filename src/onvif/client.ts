/**
 * ONVIF operations against one device. Every public function ends within target.timeoutMs with a result
 * or an OnvifError: one deadline (AbortController + timer) covers the whole operation, including the
 * HTTP Digest retry and any GetServices fallback. Text from replies passes through redactSecrets.
 */

import { redactSecrets } from '../redact.js';
import { buildEnvelope, requests, type SoapRequest } from './envelope.js';
import { type DigestChallenge, digestAuthorization, parseDigestChallenge } from './http-digest.js';
import * as parse from './parse.js';
import { ReplyError, type SoapDocument, type SoapFault } from './parse.js';
import { type HttpReply, hostPort, parseDeviceUrl, postSoap, rebase, withDeadline } from './transport.js';
import {
  type ClockReading,
  DEFAULT_MAX_REPLY_BYTES,
  type DeviceInformation,
  type Inventory,
  type InventoryPart,
  type MediaProfile,
  OnvifError,
  type OnvifErrorKind,
  type OnvifTarget,
  type OsdText,
  type ServiceAddresses,
  type StreamTransport,
} from './types.js';
import { usernameToken } from './ws-security.js';

interface Ctx {
  target: OnvifTarget;
  device: URL;
  where: string;
  signal: AbortSignal;
  secrets: (string | undefined)[];
}

const MAX_TEXT = 300;

function clean(ctx: Ctx, text: string): string {
  const redacted = redactSecrets(text, ctx.secrets).replace(/\s+/g, ' ').trim();
  return redacted.length > MAX_TEXT ? `${redacted.slice(0, MAX_TEXT)}…` : redacted;
}

/** Runs `body` under one deadline (one AbortController + timer) for the whole operation. */
async function run<T>(target: OnvifTarget, operation: string, body: (ctx: Ctx) => Promise<T>): Promise<T> {
  const device = parseDeviceUrl(target.deviceUrl, operation);
  const where = hostPort(device);
  const secrets = [target.password, target.username];
  return withDeadline(target.timeoutMs, operation, where, async (signal) => {
    try {
      return await body({ target, device, where, signal, secrets });
    } catch (err) {
      if (err instanceof OnvifError) throw err;
      const text = redactSecrets(String(err), secrets).slice(0, MAX_TEXT);
      throw new OnvifError('malformed', operation, `${where}: unexpected ${text}`);
    }
  });
}

function isNotAuthorized(fault: SoapFault): boolean {
  return fault.subcodes.some((s) => /(^|[:-])NotAuthorized$/i.test(s.trim()));
}

function docOf(reply: HttpReply): SoapDocument | ReplyError {
  try {
    return parse.parseSoap(reply.body);
  } catch (err) {
    return err instanceof ReplyError ? err : new ReplyError('reply could not be parsed');
  }
}

type AuthMode = 'none' | 'wsse' | 'digest';
const HOW = { none: 'without credentials', wsse: 'with WS-UsernameToken', digest: 'with HTTP Digest' };

/** One request/reply with authentication; returns the parsed SOAP body of a successful reply. */
async function exchange(ctx: Ctx, req: SoapRequest, url: URL, anonymousFirst = false) {
  const { target } = ctx;
  const style = target.auth ?? 'auto';
  const creds =
    target.username !== undefined ? { username: target.username, password: target.password ?? '' } : null;
  const send = (mode: AuthMode, challenge: DigestChallenge | null = null) => {
    const deviceNow = new Date(Date.now() + (target.clockOffsetSeconds ?? 0) * 1000);
    const token =
      mode === 'wsse' && creds
        ? usernameToken(creds.username, creds.password, { now: deviceNow })
        : undefined;
    const authorization =
      mode === 'digest' && creds && challenge
        ? digestAuthorization(challenge, { ...creds, method: 'POST', uri: `${url.pathname}${url.search}` })
        : undefined;
    return postSoap(url, buildEnvelope(req, token), {
      operation: req.operation,
      signal: ctx.signal,
      maxReplyBytes: target.maxReplyBytes ?? DEFAULT_MAX_REPLY_BYTES,
      action: req.action,
      authorization,
      allowUnverifiedTls: target.allowUnverifiedTls,
    });
  };
  let mode: AuthMode = !creds || anonymousFirst || style === 'http-digest' ? 'none' : 'wsse';
  const tried = new Set<AuthMode>([mode]);
  let reply = await send(mode);
  let doc = docOf(reply);
  for (;;) {
    const refused =
      reply.status === 401 ||
      reply.status === 403 ||
      (!(doc instanceof ReplyError) && doc.fault !== null && isNotAuthorized(doc.fault));
    if (!creds || !refused) break;
    const challenge = reply.status === 401 ? parseDigestChallenge(reply.wwwAuthenticate) : null;
    const next: AuthMode | null =
      challenge && style !== 'ws-username-token' && !tried.has('digest')
        ? 'digest'
        : style !== 'http-digest' && !tried.has('wsse')
          ? 'wsse'
          : null;
    if (next === null) break;
    mode = next;
    tried.add(mode);
    reply = await send(mode, challenge);
    doc = docOf(reply);
  }
  return judge(ctx, req.operation, reply, doc, mode);
}

/** The final reply of an exchange → its SOAP document, or the OnvifError it amounts to. */
function judge(
  ctx: Ctx,
  operation: string,
  reply: HttpReply,
  doc: SoapDocument | ReplyError,
  mode: AuthMode,
) {
  const how = HOW[mode];
  const fail = (kind: OnvifErrorKind, text: string) =>
    new OnvifError(kind, operation, `${ctx.where}: ${text}`);
  if (!(doc instanceof ReplyError) && doc.fault) {
    const f = doc.fault;
    const text = clean(ctx, `${f.subcodes.at(-1) ?? f.code}: ${f.reason}${f.detail ? ` (${f.detail})` : ''}`);
    throw isNotAuthorized(f)
      ? fail('auth', `not authorized ${how} (${text})`)
      : fail('soap-fault', `SOAP fault ${text}`);
  }
  if (reply.status === 401 || reply.status === 403) {
    throw fail(
      'auth',
      `${mode === 'none' ? 'credentials required' : `credentials refused ${how}`} (HTTP ${reply.status})`,
    );
  }
  if (reply.status < 200 || reply.status > 299) throw fail('http', `HTTP ${reply.status}`);
  if (doc instanceof ReplyError) throw fail('malformed', clean(ctx, doc.message));
  return { doc, receivedAt: reply.receivedAt };
}

/** One exchange and its pure parser; a parser's ReplyError becomes a 'malformed' OnvifError. */
async function ask<T>(
  ctx: Ctx,
  req: SoapRequest,
  url: URL,
  parser: (doc: SoapDocument, receivedAt: Date) => T,
  anonymousFirst = false,
): Promise<T> {
  const { doc, receivedAt } = await exchange(ctx, req, url, anonymousFirst);
  try {
    return parser(doc, receivedAt);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new OnvifError('malformed', req.operation, `${ctx.where}: ${clean(ctx, message)}`);
  }
}

async function capabilities(ctx: Ctx): Promise<ServiceAddresses> {
  try {
    return await ask(ctx, requests.getCapabilities(), ctx.device, parse.parseCapabilities);
  } catch (err) {
    const fallback = err instanceof OnvifError && ['soap-fault', 'http', 'malformed'].includes(err.kind);
    if (!fallback) throw err;
    return services(ctx);
  }
}

function services(ctx: Ctx): Promise<ServiceAddresses> {
  return ask(ctx, requests.getServices(), ctx.device, parse.parseServices);
}

async function mediaUrl(ctx: Ctx, operation: string, given: ServiceAddresses | undefined): Promise<URL> {
  const known = given ?? (await capabilities(ctx));
  if (known.media === null) {
    throw new OnvifError('malformed', operation, `${ctx.where}: no media service announced`);
  }
  return rebase(ctx.device, known.media);
}

export interface MediaOptions {
  /** the device's service addresses, when already known (else GetCapabilities is asked first) */
  services?: ServiceAddresses;
}

export function getDeviceInformation(target: OnvifTarget): Promise<DeviceInformation> {
  return run(target, 'GetDeviceInformation', (ctx) =>
    ask(ctx, requests.getDeviceInformation(), ctx.device, parse.parseDeviceInformation),
  );
}

/** GetCapabilities, falling back to GetServices (same deadline) when the device faults or garbles it. */
export function getCapabilities(target: OnvifTarget): Promise<ServiceAddresses> {
  return run(target, 'GetCapabilities', capabilities);
}

export function getServices(target: OnvifTarget): Promise<ServiceAddresses> {
  return run(target, 'GetServices', services);
}

/** Media1 trt:GetProfiles at the media address. */
export function getProfiles(target: OnvifTarget, opts: MediaOptions = {}): Promise<MediaProfile[]> {
  return run(target, 'GetProfiles', async (ctx) =>
    ask(ctx, requests.getProfiles(), await mediaUrl(ctx, 'GetProfiles', opts.services), parse.parseProfiles),
  );
}

export function getStreamUri(
  target: OnvifTarget,
  profileToken: string,
  opts: MediaOptions & { transport?: StreamTransport } = {},
): Promise<string> {
  return run(target, 'GetStreamUri', async (ctx) => {
    const req = requests.getStreamUri(profileToken, opts.transport ?? 'RTSP');
    return ask(ctx, req, await mediaUrl(ctx, 'GetStreamUri', opts.services), parse.parseStreamUri);
  });
}

export function getSnapshotUri(
  target: OnvifTarget,
  profileToken: string,
  opts: MediaOptions = {},
): Promise<string> {
  return run(target, 'GetSnapshotUri', async (ctx) => {
    const req = requests.getSnapshotUri(profileToken);
    return ask(ctx, req, await mediaUrl(ctx, 'GetSnapshotUri', opts.services), parse.parseSnapshotUri);
  });
}

/** Sent without credentials first (ONVIF allows it pre-auth); credentials only if the device insists. */
export function getSystemDateAndTime(target: OnvifTarget): Promise<ClockReading> {
  return run(target, 'GetSystemDateAndTime', (ctx) =>
    ask(ctx, requests.getSystemDateAndTime(), ctx.device, parse.parseSystemDateAndTime, true),
  );
}

/** Plain-text OSDs: Media2 tr2:GetOSDs when the device announces Media2, else Media1 trt:GetOSDs. */
export function getOsds(
  target: OnvifTarget,
  videoSourceConfigurationToken?: string,
  opts: MediaOptions = {},
): Promise<OsdText[]> {
  return run(target, 'GetOSDs', async (ctx) => {
    const known = opts.services ?? (await capabilities(ctx));
    if (known.media2) {
      const req = requests.getOsdsMedia2(videoSourceConfigurationToken);
      return ask(ctx, req, rebase(ctx.device, known.media2), parse.parseOsds);
    }
    const req = requests.getOsdsMedia1(videoSourceConfigurationToken);
    return ask(ctx, req, await mediaUrl(ctx, 'GetOSDs', known), parse.parseOsds);
  });
}

/**
 * Everything at once, in sequence: device information, service addresses, profiles, main and sub stream
 * URIs (first two profiles), snapshot URI (first profile), clock, OSD texts. Each part's failure is
 * captured in `errors`; a network-level failure (timeout, refused, unreachable) before anything answered
 * stops the rest, which then carry the same kind of error, so a dead camera costs one timeout, not eight.
 */
export async function readInventory(target: OnvifTarget): Promise<Inventory> {
  const inv: Inventory = {
    deviceInformation: null,
    services: null,
    profiles: null,
    mainStreamUri: null,
    subStreamUri: null,
    snapshotUri: null,
    clock: null,
    osds: null,
    errors: {},
  };
  let answered = false;
  let stop: OnvifError | null = null;
  const part = async <T>(name: InventoryPart, operation: string, fn: () => Promise<T>): Promise<T | null> => {
    if (stop) {
      inv.errors[name] = new OnvifError(stop.kind, operation, `not attempted: ${stop.message}`);
      return null;
    }
    try {
      const value = await fn();
      answered = true;
      return value;
    } catch (err) {
      const error =
        err instanceof OnvifError ? err : new OnvifError('malformed', operation, 'unexpected failure');
      inv.errors[name] = error;
      if (!answered && ['timeout', 'refused', 'unreachable'].includes(error.kind)) stop = error;
      return null;
    }
  };
  // The clock first (it needs no credentials): its offset stamps the WS-UsernameToken of every later call, so a
  // camera whose clock drifted still accepts our credentials.
  inv.clock = await part('clock', 'GetSystemDateAndTime', () => getSystemDateAndTime(target));
  const t = { ...target, clockOffsetSeconds: inv.clock?.offsetSeconds ?? target.clockOffsetSeconds };
  inv.deviceInformation = await part('deviceInformation', 'GetDeviceInformation', () =>
    getDeviceInformation(t),
  );
  inv.services = await part('services', 'GetCapabilities', () => getCapabilities(t));
  const media = { services: inv.services ?? undefined };
  if (media.services) inv.profiles = await part('profiles', 'GetProfiles', () => getProfiles(t, media));
  const [main, sub] = inv.profiles ?? [];
  if (main) {
    inv.mainStreamUri = await part('mainStreamUri', 'GetStreamUri', () => getStreamUri(t, main.token, media));
    if (sub)
      inv.subStreamUri = await part('subStreamUri', 'GetStreamUri', () => getStreamUri(t, sub.token, media));
    inv.snapshotUri = await part('snapshotUri', 'GetSnapshotUri', () => getSnapshotUri(t, main.token, media));
  }
  const vsc = main?.videoSourceConfigurationToken ?? undefined;
  if (media.services) inv.osds = await part('osds', 'GetOSDs', () => getOsds(t, vsc, media));
  return inv;
}
