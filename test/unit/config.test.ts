import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

const KEY = Buffer.alloc(32, 3).toString('base64');

function failure(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('loadConfig accepted the environment');
}

describe('configuration', () => {
  it('has defaults that work on this machine', () => {
    const config = loadConfig({});
    expect(config.databaseUrl).toBe('postgres://postgres@127.0.0.1:5432/xueliang');
    expect(config.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(config.http).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(config.timeZone).toBe('Asia/Shanghai');
    expect(config.credentialKeys[0]?.key.length).toBe(32);
  });

  it.each([
    ['XUELIANG_HTTP_PORT', '80x', /XUELIANG_HTTP_PORT must be an integer from 0 to 65535/],
    ['XUELIANG_HTTP_PORT', '70000', /XUELIANG_HTTP_PORT/],
    ['DATABASE_URL', 'mysql://x', /DATABASE_URL must be a URL \(postgres: or postgresql:\)/],
    ['REDIS_URL', 'not a url', /REDIS_URL must be a URL/],
    ['LOG_LEVEL', 'loud', /LOG_LEVEL must be one of fatal, error/],
    ['XUELIANG_MIGRATE_ON_START', 'maybe', /XUELIANG_MIGRATE_ON_START must be 'true' or 'false'/],
    ['XUELIANG_TIME_ZONE', 'Mars/Olympus', /XUELIANG_TIME_ZONE must be an IANA time zone/],
    [
      'XUELIANG_CREDENTIAL_KEYS',
      'k1:c2hvcnQ=',
      /XUELIANG_CREDENTIAL_KEYS must be keys of 32 bytes.*'k1' has 5/,
    ],
    ['XUELIANG_CREDENTIAL_KEYS', `k1:${KEY},k1:${KEY}`, /distinct key ids/],
    ['XUELIANG_CREDENTIAL_KEYS', 'nonsense', /XUELIANG_CREDENTIAL_KEYS must be a list/],
    ['NODE_ENV', 'staging', /NODE_ENV must be one of development, test, production/],
  ])('%s=%s stops start-up naming the variable', (name, value, message) => {
    const err = failure({ [name]: value });
    expect(err.variable).toBe(name);
    expect(err.message).toMatch(message);
  });

  it('never echoes a database URL, which may hold a password', () => {
    expect(failure({ DATABASE_URL: 'postgres//user:s3cret@host' }).message).not.toContain('s3cret');
  });

  it('production refuses to start without a key of its own', () => {
    expect(failure({ NODE_ENV: 'production' }).variable).toBe('XUELIANG_CREDENTIAL_KEYS');
    const dev = loadConfig({}).credentialKeys[0];
    const devRing = `${dev?.id}:${dev?.key.toString('base64')}`;
    expect(failure({ NODE_ENV: 'production', XUELIANG_CREDENTIAL_KEYS: devRing }).message).toMatch(
      /not the dev key/,
    );
    expect(
      loadConfig({ NODE_ENV: 'production', XUELIANG_CREDENTIAL_KEYS: `prod1:${KEY}` }).credentialKeys[0]?.id,
    ).toBe('prod1');
  });
});
