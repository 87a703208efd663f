import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { buildEnvelope, requests } from '../../src/onvif/envelope.js';
import { digestAuthorization, parseDigestChallenge } from '../../src/onvif/http-digest.js';
import {
  createdTimestamp,
  passwordDigest,
  usernameToken,
  verifyUsernameToken,
} from '../../src/onvif/ws-security.js';

describe('WS-UsernameToken PasswordDigest', () => {
  it('matches the worked example of the ONVIF Application Programmer’s Guide', () => {
    const nonce = Buffer.from('LKqI6G/AikKCQrN0zqZFlg==', 'base64');
    expect(passwordDigest(nonce, '2010-09-16T07:50:45Z', 'userpassword')).toBe(
      'tuOSpGlFlIXsozq4HFNeeGeFLEI=',
    );
  });

  it('builds a token with a base64 nonce and a UTC Created without fractions', () => {
    const nonce = Buffer.alloc(16, 7);
    const token = usernameToken('ops.admin@cam', 'Cn4ry:@/%20pw', {
      now: new Date('2024-05-01T10:20:30.456+08:00'),
      nonce,
    });
    expect(token.created).toBe('2024-05-01T02:20:30Z');
    expect(token.nonce).toBe(nonce.toString('base64'));
    expect(token.passwordDigest).toBe(passwordDigest(nonce, token.created, 'Cn4ry:@/%20pw'));
    expect(verifyUsernameToken(token, 'Cn4ry:@/%20pw')).toBe(true);
    expect(verifyUsernameToken(token, 'Cn4ry:@/%20pX')).toBe(false);
  });

  it('uses a fresh 16-byte nonce per token', () => {
    const a = usernameToken('u', 'p');
    const b = usernameToken('u', 'p');
    expect(Buffer.from(a.nonce, 'base64')).toHaveLength(16);
    expect(a.nonce).not.toBe(b.nonce);
    expect(createdTimestamp(new Date(0))).toBe('1970-01-01T00:00:00Z');
  });
});

describe('request envelopes', () => {
  const parser = new XMLParser({ removeNSPrefix: true, ignoreAttributes: false });

  it('carries the wsse Security header and never the password', () => {
    const token = usernameToken('ops<admin>&"cam"', 'Cn4ry:@/%20pw');
    const xml = buildEnvelope(requests.getDeviceInformation(), token);
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(xml).not.toContain('Cn4ry');
    const doc = parser.parse(xml);
    const security = doc.Envelope.Header.Security;
    expect(security['@_mustUnderstand']).toBe('1');
    expect(security.UsernameToken.Username).toBe('ops<admin>&"cam"');
    expect(security.UsernameToken.Password['#text']).toBe(token.passwordDigest);
    expect(security.UsernameToken.Password['@_Type']).toMatch(/#PasswordDigest$/);
    expect(security.UsernameToken.Created).toBe(token.created);
    expect(doc.Envelope.Body.GetDeviceInformation).toBe('');
  });

  it('has no header without credentials', () => {
    const xml = buildEnvelope(requests.getSystemDateAndTime());
    expect(xml).not.toContain('Header');
    expect(XMLValidator.validate(xml)).toBe(true);
  });

  it('escapes tokens and sets up Media1 GetStreamUri', () => {
    const req = requests.getStreamUri('Profile<1>&', 'RTSP');
    expect(req.action).toBe('http://www.onvif.org/ver10/media/wsdl/GetStreamUri');
    const xml = buildEnvelope(req);
    expect(XMLValidator.validate(xml)).toBe(true);
    const body = parser.parse(xml).Envelope.Body.GetStreamUri;
    expect(body.ProfileToken).toBe('Profile<1>&');
    expect(body.StreamSetup.Stream).toBe('RTP-Unicast');
    expect(xml).toContain('<Transport xmlns="http://www.onvif.org/ver10/schema"><Protocol>RTSP</Protocol>');
    expect(body.StreamSetup.Transport.Protocol).toBe('RTSP');
  });

  it('addresses OSDs at Media2 or Media1', () => {
    expect(requests.getOsdsMedia2('vsc').action).toBe('http://www.onvif.org/ver20/media/wsdl/GetOSDs');
    expect(requests.getOsdsMedia1().body).toBe('<GetOSDs xmlns="http://www.onvif.org/ver10/media/wsdl"/>');
  });
});

describe('HTTP Digest challenge parsing', () => {
  it('reads a Hikvision-style challenge', () => {
    const c = parseDigestChallenge(
      'Digest qop="auth", realm="IP Camera(C1234)", nonce="4e546b774e444d7a4d5441365a6a51324e6a59794d44593d", stale="FALSE"',
    );
    expect(c).toEqual({
      realm: 'IP Camera(C1234)',
      nonce: '4e546b774e444d7a4d5441365a6a51324e6a59794d44593d',
      qop: ['auth'],
      algorithm: 'MD5',
      opaque: null,
      stale: false,
    });
  });

  it('finds Digest among several challenges in one header or several headers', () => {
    const one = parseDigestChallenge(
      'Basic realm="x", Digest realm="y", nonce="z", qop="auth,auth-int", algorithm=MD5',
    );
    expect(one).toMatchObject({ realm: 'y', nonce: 'z', qop: ['auth', 'auth-int'], algorithm: 'MD5' });
    const many = parseDigestChallenge([
      'Basic realm="a"',
      'Digest realm="b", nonce="n", opaque="o", stale=true',
    ]);
    expect(many).toMatchObject({ realm: 'b', nonce: 'n', opaque: 'o', stale: true, qop: [] });
  });

  it('takes the first supported algorithm and unescapes quoted strings', () => {
    const c = parseDigestChallenge([
      'Digest realm="r", nonce="n1", algorithm=SHA-512-256, qop="auth"',
      'Digest realm="a \\"quoted\\" realm", nonce="n2", algorithm=md5-sess, qop="auth"',
    ]);
    expect(c).toMatchObject({ realm: 'a "quoted" realm', nonce: 'n2', algorithm: 'MD5-sess' });
  });

  it.each([
    [undefined],
    ['Basic realm="camera"'],
    ['Digest realm="r", qop="auth"'],
    ['Digest realm="r", nonce="n", qop="auth-int"'],
    ['Digest realm="r", nonce="n", algorithm=SHA-512-256'],
    [''],
  ])('no usable challenge in %j', (header) => {
    expect(parseDigestChallenge(header)).toBeNull();
  });
});

describe('HTTP Digest response', () => {
  it('matches RFC 2617 §3.5 (MD5, qop=auth)', () => {
    const c = parseDigestChallenge(
      'Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
    );
    if (!c) throw new Error('no challenge');
    const header = digestAuthorization(c, {
      username: 'Mufasa',
      password: 'Circle Of Life',
      method: 'GET',
      uri: '/dir/index.html',
      cnonce: '0a4f113b',
    });
    expect(header).toMatch(/^Digest /);
    expect(header).toContain('response="6629fae49393a05397450978507c4ef1"');
    expect(header).toContain('qop=auth, nc=00000001, cnonce="0a4f113b"');
    expect(header).toContain('opaque="5ccc069c403ebaf9f0171e9517f40e41"');
  });

  it.each([
    ['MD5', '8ca523f5e9506fed4657c9700eebdbec'],
    ['SHA-256', '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1'],
  ])('matches RFC 7616 §3.9.1 (%s)', (algorithm, response) => {
    const c = parseDigestChallenge(
      `Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=${algorithm}, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`,
    );
    if (!c) throw new Error('no challenge');
    const header = digestAuthorization(c, {
      username: 'Mufasa',
      password: 'Circle of Life',
      method: 'GET',
      uri: '/dir/index.html',
      cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
    });
    expect(header).toContain(`response="${response}"`);
    expect(header).toContain(`algorithm=${algorithm}`);
  });

  it('answers a challenge without qop the RFC 2069 way and escapes the username', () => {
    const c = parseDigestChallenge('Digest realm="cam", nonce="abc"');
    if (!c) throw new Error('no challenge');
    const header = digestAuthorization(c, {
      username: 'a"b',
      password: 'pw',
      method: 'POST',
      uri: '/onvif/device_service',
    });
    expect(header).toContain('username="a\\"b"');
    expect(header).not.toContain('qop=');
    expect(header).not.toContain('pw"');
  });
});
