import { describe, expect, it } from 'vitest';
import { redactSecrets } from '../../src/redact.js';

const PASSWORD = 'Cn4ry:@/%20pw';
const USERNAME = 'ops.admin@cam';
const secrets = [PASSWORD, USERNAME];

function leaks(text: string): boolean {
  return text.includes('Cn4ry') || text.includes('ops.admin');
}

describe('redactSecrets', () => {
  it.each([
    ['raw', `bad password ${PASSWORD} for ${USERNAME}`],
    ['encodeURIComponent', `rtsp://x/?p=${encodeURIComponent(PASSWORD)}&u=${encodeURIComponent(USERNAME)}`],
    [
      'lower-case percent escapes',
      `p=${encodeURIComponent(PASSWORD).toLowerCase().replace('cn4ry', 'Cn4ry')}`,
    ],
    ['XML-escaped', '<Text>pw Cn4ry:@/%20pw &amp; Cn4ry:@/%20pw</Text>'],
    ['JSON-escaped', JSON.stringify({ password: PASSWORD, user: USERNAME })],
  ])('masks the %s form', (_name, text) => {
    const out = redactSecrets(text, secrets);
    expect(leaks(out)).toBe(false);
    expect(out).toContain('***');
  });

  it('masks XML-, JSON- and URL-special characters in their escaped forms', () => {
    const secret = `a<b>&"c'd\\e f`;
    const forms = [
      'a&lt;b&gt;&amp;&quot;c&apos;d\\e f',
      JSON.stringify(secret).slice(1, -1),
      encodeURIComponent(secret),
      encodeURIComponent(secret).replace(/%20/g, '+'),
    ];
    for (const form of forms) expect(redactSecrets(`x ${form} y`, [secret])).toBe('x *** y');
  });

  it('masks the base64 of the secret and of user:password (HTTP Basic)', () => {
    const basic = Buffer.from(`${USERNAME}:${PASSWORD}`).toString('base64');
    expect(redactSecrets(`Authorization: Basic ${basic}`, secrets)).toBe('Authorization: Basic ***');
    const alone = Buffer.from(PASSWORD).toString('base64');
    expect(redactSecrets(`echo ${alone}.`, secrets)).toBe('echo ***.');
    expect(redactSecrets(`echo ${alone.replace(/=+$/, '')}!`, secrets)).toBe('echo ***!');
  });

  it('masks the secret inside a longer base64 run at every byte alignment', () => {
    for (const prefix of ['', 'x', 'xy', 'xyz', 'hello world ']) {
      const encoded = Buffer.from(`${prefix}${PASSWORD}--tail`).toString('base64');
      const out = redactSecrets(`blob=${encoded}`, secrets);
      expect(out).toContain('***');
      // what is left cannot be decoded back to the password
      const rest = out.replace('blob=', '').split('***').join('');
      expect(Buffer.from(rest, 'base64').toString('latin1')).not.toContain('Cn4ry');
    }
  });

  it('skips secrets shorter than 3 characters and undefined ones', () => {
    expect(redactSecrets('ab admin ab', ['ab', undefined, null, ''])).toBe('ab admin ab');
    expect(redactSecrets('password abc', ['abc'])).toBe('password ***');
  });

  it('leaves text without secrets untouched', () => {
    const text = 'onvif: GetProfiles: 10.0.0.1:80: HTTP 500';
    expect(redactSecrets(text, secrets)).toBe(text);
    expect(redactSecrets(text, [])).toBe(text);
  });

  it('masks overlapping occurrences fully (longest form first)', () => {
    const out = redactSecrets(`${PASSWORD}${PASSWORD} ${encodeURIComponent(PASSWORD)}`, secrets);
    expect(out).toBe('****** ***');
  });

  it('masks the same value used as both user and password', () => {
    const basic = Buffer.from('admin:admin').toString('base64');
    expect(redactSecrets(`Basic ${basic}`, ['admin', 'admin'])).toBe('Basic ***');
  });
});
