import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkEndpointUrl, ONVIF_PROTOCOLS, RTSP_PROTOCOLS } from '../../src/cameras/endpoint-rules.js';
import {
  type CameraProfile,
  loadProfiles,
  loadProfilesSync,
  ProfileError,
  ProfileSet,
  parseProfile,
  streamUrlsFor,
} from '../../src/cameras/profiles.js';

const PROFILES = fileURLToPath(new URL('../../camera-profiles/', import.meta.url));
const BROKEN = fileURLToPath(new URL('../fixtures/camera-profiles-broken/', import.meta.url));
const VENDORS = ['axis', 'dahua', 'generic-onvif', 'generic-rtsp', 'hikvision', 'tiandy', 'uniview'];
/** Profiles whose stream addresses come from ONVIF GetStreamUri, not from templates. */
const NO_TEMPLATES = ['generic-onvif', 'tiandy'];

const set = await loadProfiles(PROFILES);
const profile = (name: string): CameraProfile => {
  const p = set.get(name);
  if (!p) throw new Error(`no profile ${name}`);
  return p;
};

describe('the profiles in camera-profiles/', () => {
  it('all load, named after their files', () => {
    expect(set.names).toEqual(VENDORS);
    expect(loadProfilesSync(PROFILES).names).toEqual(VENDORS);
  });

  it.each(
    VENDORS.flatMap((v) => [
      [v, '10.64.3.7', '10.64.3.7'],
      [v, '2001:db8::7', '[2001:db8::7]'],
    ]),
  )('%s yields its URLs for %s', (name, host, urlHost) => {
    const p = profile(name);
    const urls = streamUrlsFor(p, { host });
    if (NO_TEMPLATES.includes(name)) {
      expect(urls).toMatchObject({ main: null, sub: null });
    } else {
      for (const url of [urls.main, urls.sub]) {
        expect(url).toMatch(/^rtsp:\/\//);
        expect(checkEndpointUrl(url as string, RTSP_PROTOCOLS)).toEqual({ ok: true });
        expect(new URL(url as string).host).toBe(`${urlHost}:${p.defaultPorts.rtsp}`);
      }
    }
    if (urls.snapshot !== null)
      expect(checkEndpointUrl(urls.snapshot, ONVIF_PROTOCOLS)).toEqual({ ok: true });
    expect(urls.onvif).toBe(p.onvif ? `http://${urlHost}/onvif/device_service` : null);
    expect(p.sources.length).toBeGreaterThan(0);
  });

  it('fills the Hikvision and Dahua templates with port and channel', () => {
    expect(streamUrlsFor(profile('hikvision'), { host: '10.64.3.7' })).toEqual({
      main: 'rtsp://10.64.3.7:554/Streaming/Channels/101',
      sub: 'rtsp://10.64.3.7:554/Streaming/Channels/102',
      snapshot: 'http://10.64.3.7/ISAPI/Streaming/channels/101/picture',
      onvif: 'http://10.64.3.7/onvif/device_service',
    });
    expect(streamUrlsFor(profile('hikvision'), { host: '10.64.3.7', rtspPort: 8554, channel: 12 }).sub).toBe(
      'rtsp://10.64.3.7:8554/Streaming/Channels/1202',
    );
    expect(streamUrlsFor(profile('dahua'), { host: 'cam-7.example', channel: 2 })).toMatchObject({
      main: 'rtsp://cam-7.example:554/cam/realmonitor?channel=2&subtype=0',
      sub: 'rtsp://cam-7.example:554/cam/realmonitor?channel=2&subtype=1',
      snapshot: 'http://cam-7.example/cgi-bin/snapshot.cgi?channel=2',
    });
  });

  it('brackets IPv6 hosts (with a zone, escaped) and refuses anything that is not a host', () => {
    const hik = profile('hikvision');
    expect(streamUrlsFor(hik, { host: '[fe80::1]' }).main).toBe(
      'rtsp://[fe80::1]:554/Streaming/Channels/101',
    );
    expect(streamUrlsFor(hik, { host: 'fe80::1%eth0' }).main).toBe(
      'rtsp://[fe80::1%25eth0]:554/Streaming/Channels/101',
    );
    for (const host of ['admin:pw@10.0.0.1', '10.0.0.1/x', '10.0.0.1:554', '', 'a b']) {
      expect(() => streamUrlsFor(hik, { host }), host).toThrow(/host/);
    }
    expect(() => streamUrlsFor(hik, { host: '10.0.0.1', rtspPort: 0 })).toThrow(/rtspPort/);
    expect(() => streamUrlsFor(hik, { host: '10.0.0.1', channel: 0 })).toThrow(/channel/);
  });

  it('never puts credentials in a URL', () => {
    for (const name of VENDORS) {
      for (const url of Object.values(streamUrlsFor(profile(name), { host: '10.64.3.7' }))) {
        if (url !== null) expect(new URL(url)).toMatchObject({ username: '', password: '' });
      }
    }
  });

  it('applies the defaults and leaves unknown vendors to the caller', () => {
    expect(profile('generic-rtsp')).toMatchObject({ onvifPath: '/onvif/device_service', defaultChannel: 1 });
    expect(profile('generic-rtsp').rtsp?.perCamera).toBe(true);
    expect(set.get('acme')).toBeUndefined();
  });
});

describe('a broken profile', () => {
  // file → [field, message]; field null for YAML syntax errors, which name the line instead.
  const expected: Record<string, [string | null, string]> = {
    'bad-syntax.yaml': [null, 'line 3, column 14: Nested mappings are not allowed in compact mappings'],
    'duplicate-key.yaml': [null, 'line 5, column 1: Map keys must be unique'],
    'missing-field.yaml': ['maxSessions', 'is required'],
    'wrong-type.yaml': ['rtsp.main', 'must be a string'],
    'unknown-field.yaml': ['quirks.0.severity', 'is not a known field'],
    'unknown-placeholder.yaml': ['rtsp.sub', 'unknown placeholder {chanel}; use {host}, {port}, {channel}'],
    'name-mismatch.yaml': ['name', "'bar' does not match the file name"],
    'port-out-of-range.yaml': ['defaultPorts.rtsp', 'must be <= 65535'],
    'credentials-in-template.yaml': ['rtsp.main', 'must not carry credentials'],
  };

  it('every fixture file has an expectation', () => {
    expect(readdirSync(BROKEN).sort()).toEqual(Object.keys(expected).sort());
  });

  it.each(Object.entries(expected))('%s → error naming the file and %o', (file, [field, detail]) => {
    let error: unknown;
    try {
      parseProfile(file, readFileSync(join(BROKEN, file), 'utf8'));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ProfileError);
    expect(error).toMatchObject({ file, field });
    const where = field === null ? '' : `${field}: `;
    expect((error as Error).message).toBe(`camera-profiles: ${file}: ${where}${detail}`);
  });

  it('stops the load of its directory', async () => {
    await expect(loadProfiles(BROKEN)).rejects.toThrow(/^camera-profiles: bad-syntax\.yaml: line 3/);
  });

  it('reports every problem it finds, the first one as the field', () => {
    const text = readFileSync(join(PROFILES, 'dahua.yaml'), 'utf8')
      .replace('maxSessions: 10', 'maxSessions: many')
      .replace('displayName: 大华 Dahua\n', '');
    expect(() => parseProfile('dahua.yaml', text)).toThrow(
      'camera-profiles: dahua.yaml: displayName: is required; maxSessions: must be an integer',
    );
  });

  it.each([
    ['rtsp://{host}:{port}/live/{channel', 'has an unmatched { or }'],
    ['rtsp://10.0.0.1:{port}/live', 'must use {host}'],
    ['http://{host}/live', 'must use rtsp or rtsps'],
    ['rtsp://cam/{host}/live', 'must put {host} where the address host goes'],
  ])('template %s → %s', (template, message) => {
    const text = readFileSync(join(PROFILES, 'dahua.yaml'), 'utf8').replace(
      /^ {2}main: .*$/m,
      `  main: ${template}`,
    );
    expect(() => parseProfile('dahua.yaml', text)).toThrow(
      `camera-profiles: dahua.yaml: rtsp.main: ${message}`,
    );
  });

  it('a document that is not a mapping, an empty directory and a .yml file are refused', async () => {
    expect(() => parseProfile('x.yaml', '- 1\n')).toThrow(
      'camera-profiles: x.yaml: (document): must be a mapping',
    );
    const dir = await mkdtemp(join(tmpdir(), 'profiles-'));
    try {
      await expect(loadProfiles(dir)).rejects.toThrow(/no \*\.yaml profiles/);
      await writeFile(join(dir, 'axis.yml'), readFileSync(join(PROFILES, 'axis.yaml')));
      await expect(loadProfiles(dir)).rejects.toThrow(
        'camera-profiles: axis.yml: profile files must end in .yaml',
      );
    } finally {
      await rm(dir, { recursive: true });
    }
  });

  it('duplicate names are refused', () => {
    expect(() => new ProfileSet([profile('axis'), profile('dahua'), profile('axis')])).toThrow(
      "camera-profiles: axis.yaml: name: duplicate profile name 'axis'",
    );
  });
});
