/**
 * Camera profiles: one YAML file per vendor in camera-profiles/, validated when they load, and the templating
 * that turns a profile and a camera's address into stream, snapshot and ONVIF URLs (never with credentials).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { isIPv4, isIPv6 } from 'node:net';
import { join } from 'node:path';
import { Value } from 'typebox/value';
import { LineCounter, parseDocument } from 'yaml';
import { checkEndpointUrl, ONVIF_PROTOCOLS, RTSP_PROTOCOLS } from './endpoint-rules.js';
import {
  DEFAULT_CHANNEL,
  DEFAULT_ONVIF_PATH,
  PLACEHOLDERS,
  type ProfileFile,
  ProfileSchema,
} from './profile-schema.js';

export interface CameraProfile extends Omit<ProfileFile, 'onvifPath' | 'defaultChannel'> {
  onvifPath: string;
  defaultChannel: number;
}

/** A profile that does not load. `field` is the dotted path inside the file; null for a YAML syntax error. */
export class ProfileError extends Error {
  constructor(
    readonly file: string,
    readonly field: string | null,
    readonly detail: string,
  ) {
    super(`camera-profiles: ${file}: ${field === null ? '' : `${field}: `}${detail}`);
    this.name = 'ProfileError';
  }
}

export class ProfileSet {
  private readonly byName = new Map<string, CameraProfile>();

  constructor(profiles: readonly CameraProfile[]) {
    for (const profile of profiles) {
      if (this.byName.has(profile.name)) {
        throw new ProfileError(`${profile.name}.yaml`, 'name', `duplicate profile name '${profile.name}'`);
      }
      this.byName.set(profile.name, profile);
    }
  }

  /** Undefined for a vendor without a profile: the caller decides what that means. */
  get(name: string): CameraProfile | undefined {
    return this.byName.get(name);
  }

  get names(): string[] {
    return [...this.byName.keys()].sort();
  }
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
};

function fieldPath(pointer: string, child?: string): string {
  const parts = pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (child !== undefined) parts.push(child);
  return parts.length === 0 ? '(document)' : parts.join('.');
}

interface Issue {
  field: string;
  message: string;
}

/** TypeBox's errors as `field: message`, one per offending field, in the schema's order. */
function schemaIssues(value: unknown): Issue[] {
  const issues: Issue[] = [];
  for (const e of Value.Errors(ProfileSchema, value)) {
    const params = e.params as Record<string, unknown>;
    if (e.keyword === 'required') {
      for (const name of params.requiredProperties as string[]) {
        issues.push({ field: fieldPath(e.instancePath, name), message: 'is required' });
      }
    } else if (e.keyword === 'additionalProperties') {
      for (const name of params.additionalProperties as string[]) {
        issues.push({ field: fieldPath(e.instancePath, name), message: 'is not a known field' });
      }
    } else if (e.keyword === 'type') {
      const type = String(params.type);
      issues.push({ field: fieldPath(e.instancePath), message: `must be ${TYPE_NAMES[type] ?? type}` });
    } else if (e.keyword !== 'boolean') {
      // `boolean` repeats an additionalProperties error (the `false` sub-schema); the rest speak for themselves.
      issues.push({ field: fieldPath(e.instancePath), message: e.message });
    }
  }
  return issues;
}

const SAMPLE = { host: '192.0.2.1', port: '554', channel: '1' };

/** Placeholders known, balanced, {host} present and in the host part, and the result a usable URL. */
function templateIssue(template: string, protocols: readonly string[]): string | null {
  const used = [...template.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1] ?? '');
  const unknown = used.find((name) => !(PLACEHOLDERS as readonly string[]).includes(name));
  if (unknown !== undefined) {
    return `unknown placeholder {${unknown}}; use ${PLACEHOLDERS.map((p) => `{${p}}`).join(', ')}`;
  }
  if (/[{}]/.test(template.replace(/\{(host|port|channel)\}/g, ''))) return 'has an unmatched { or }';
  if (!used.includes('host')) return 'must use {host}';
  const filled = fill(template, SAMPLE);
  const check = checkEndpointUrl(filled, protocols);
  // checkEndpointUrl's advice about `credentials` is for API clients; a profile simply never holds any.
  if (!check.ok)
    return check.reason.startsWith('must not carry credentials')
      ? 'must not carry credentials'
      : check.reason;
  if (new URL(filled).hostname !== SAMPLE.host) return 'must put {host} where the address host goes';
  return null;
}

function fill(template: string, values: Record<'host' | 'port' | 'channel', string>): string {
  return template.replace(/\{(host|port|channel)\}/g, (_, name: 'host' | 'port' | 'channel') => values[name]);
}

function ruleIssues(file: string, p: ProfileFile): Issue[] {
  const issues: Issue[] = [];
  const expected = file.replace(/\.yaml$/, '');
  if (p.name !== expected)
    issues.push({ field: 'name', message: `'${p.name}' does not match the file name` });
  const templates: [string, string | undefined, readonly string[]][] = [
    ['rtsp.main', p.rtsp?.main, RTSP_PROTOCOLS],
    ['rtsp.sub', p.rtsp?.sub, RTSP_PROTOCOLS],
    ['snapshot', p.snapshot, ONVIF_PROTOCOLS],
  ];
  for (const [field, template, protocols] of templates) {
    const message = template === undefined ? null : templateIssue(template, protocols);
    if (message) issues.push({ field, message });
  }
  return issues;
}

/** Parses and validates one profile file. Pure: the caller reads the file. Throws ProfileError. */
export function parseProfile(fileName: string, yamlText: string): CameraProfile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(yamlText, { prettyErrors: false, lineCounter, uniqueKeys: true });
  const syntax = doc.errors[0];
  if (syntax) {
    const { line, col } = lineCounter.linePos(syntax.pos[0]);
    throw new ProfileError(fileName, null, `line ${line}, column ${col}: ${syntax.message}`);
  }
  const value: unknown = doc.toJS();
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ProfileError(fileName, '(document)', 'must be a mapping of profile fields');
  }
  const issues = schemaIssues(value);
  if (issues.length === 0) issues.push(...ruleIssues(fileName, value as ProfileFile));
  const [first, ...rest] = issues;
  if (first) {
    const detail = [first.message, ...rest.map((i) => `${i.field}: ${i.message}`)].join('; ');
    throw new ProfileError(fileName, first.field, detail);
  }
  const p = value as ProfileFile;
  return {
    ...p,
    onvifPath: p.onvifPath ?? DEFAULT_ONVIF_PATH,
    defaultChannel: p.defaultChannel ?? DEFAULT_CHANNEL,
  };
}

interface ProfileText {
  file: string;
  text: string;
}

function profileFiles(dir: string, names: string[]): string[] {
  const stray = names.find((n) => n.endsWith('.yml'));
  if (stray) throw new ProfileError(stray, null, 'profile files must end in .yaml');
  const files = names.filter((n) => n.endsWith('.yaml')).sort();
  if (files.length === 0) throw new Error(`camera-profiles: no *.yaml profiles in ${dir}`);
  return files;
}

function toSet(texts: ProfileText[]): ProfileSet {
  return new ProfileSet(texts.map(({ file, text }) => parseProfile(file, text)));
}

/** Loads every *.yaml in `dir`; the first bad file stops the load with a ProfileError. */
export async function loadProfiles(dir: string): Promise<ProfileSet> {
  const files = profileFiles(dir, await readdir(dir));
  return toSet(
    await Promise.all(files.map(async (file) => ({ file, text: await readFile(join(dir, file), 'utf8') }))),
  );
}

/** The same, synchronously: for start-up code that cannot await (a handful of small files). */
export function loadProfilesSync(dir: string): ProfileSet {
  const files = profileFiles(dir, readdirSync(dir));
  return toSet(files.map((file) => ({ file, text: readFileSync(join(dir, file), 'utf8') })));
}

export interface StreamUrls {
  main: string | null;
  sub: string | null;
  snapshot: string | null;
  onvif: string | null;
}

function port(value: number, what: string): string {
  if (!Number.isInteger(value) || value < 1 || value > 65535) throw new RangeError(`${what} must be 1–65535`);
  return String(value);
}

/** An IPv4 address, a host name, or an IPv6 address (bracketed in the URL); anything else is refused. */
function hostPart(host: string): string {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const [address, zone] = bare.split('%');
  if (address !== undefined && isIPv6(address) && (zone === undefined || /^[A-Za-z0-9_.-]+$/.test(zone))) {
    return `[${zone === undefined ? address : `${address}%25${zone}`}]`;
  }
  if (
    isIPv4(bare) ||
    /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/.test(
      bare,
    )
  ) {
    return bare;
  }
  throw new RangeError('host must be an IP address or a host name');
}

/**
 * The URLs a camera of this profile has at `host`. Ports default to the profile's; the channel to its default.
 * Null where the profile has no template (the address then comes from ONVIF, or is entered per camera).
 */
export function streamUrlsFor(
  profile: CameraProfile,
  opts: { host: string; rtspPort?: number; channel?: number },
): StreamUrls {
  const host = hostPart(opts.host);
  const channel = opts.channel ?? profile.defaultChannel;
  if (!Number.isInteger(channel) || channel < 1) throw new RangeError('channel must be a positive integer');
  const rtsp = {
    host,
    port: port(opts.rtspPort ?? profile.defaultPorts.rtsp, 'rtspPort'),
    channel: `${channel}`,
  };
  const http = { ...rtsp, port: port(profile.defaultPorts.http, 'http port') };
  const onvifPort = profile.defaultPorts.onvif;
  return {
    main: profile.rtsp ? fill(profile.rtsp.main, rtsp) : null,
    sub: profile.rtsp ? fill(profile.rtsp.sub, rtsp) : null,
    snapshot: profile.snapshot ? fill(profile.snapshot, http) : null,
    onvif: profile.onvif
      ? `http://${host}${onvifPort === 80 ? '' : `:${port(onvifPort, 'onvif port')}`}${profile.onvifPath}`
      : null,
  };
}
