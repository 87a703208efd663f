import { EventEmitter } from 'node:events';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { parseRelayStats, RELAY_STATS_MAX_AGE_MS, streamFromRelay } from '../../src/probing/relay-stats.js';
import { ClusterUpstreams } from '../../src/relay/cluster.js';
import { decodeOwner, encodeOwner, type RelayRegistry } from '../../src/relay/cluster-registry.js';
import { internalStreamUrl } from '../../src/relay/cluster-remote.js';
import { relayTokenKeys, signRelayToken, verifyRelayToken } from '../../src/relay/cluster-token.js';
import { RelayRefusal, type Upstream } from '../../src/relay/types.js';

const ring = (...seeds: number[]) =>
  relayTokenKeys(seeds.map((s, i) => ({ id: `k${i}`, key: Buffer.alloc(32, s) })));
const camera = '5b0c1e62-8f0a-4c53-9d1e-3f4a2b6c7d80';
const other = '0e9d7c6b-5a49-4382-a1b0-c9d8e7f6a5b4';
const now = 1_760_000_000_000;

describe('relay tokens between instances', () => {
  it('verifies a token of the same camera and key ring within the window and the next', () => {
    const keys = ring(1);
    const token = signRelayToken(keys, camera, now);
    expect(verifyRelayToken(keys, camera, token, now)).toBe(true);
    expect(verifyRelayToken(keys, camera, token, now + 30_000)).toBe(true);
  });

  it('refuses another camera, an old token, a token from the future, another key and junk', () => {
    const keys = ring(1);
    const token = signRelayToken(keys, camera, now);
    expect(verifyRelayToken(keys, other, token, now)).toBe(false);
    expect(verifyRelayToken(keys, camera, token, now + 90_000)).toBe(false);
    expect(verifyRelayToken(keys, camera, signRelayToken(keys, camera, now + 120_000), now)).toBe(false);
    expect(verifyRelayToken(ring(2), camera, token, now)).toBe(false);
    for (const junk of ['', 'x', `${token}x`, token.replace(/\.\S/, '.!'), `1.${'A'.repeat(43)}`]) {
      expect(verifyRelayToken(keys, camera, junk, now)).toBe(false);
    }
  });

  it('accepts a token signed with any key of the ring (a rotation rolled out one instance at a time)', () => {
    const before = ring(1);
    const after = ring(2, 1);
    expect(verifyRelayToken(after, camera, signRelayToken(before, camera, now), now)).toBe(true);
    expect(verifyRelayToken(before, camera, signRelayToken(after, camera, now), now)).toBe(false);
  });

  it('is not the credential key itself, and names no camera secret', () => {
    const key = Buffer.alloc(32, 7);
    const [derived] = relayTokenKeys([{ id: 'k', key }]);
    expect(derived?.equals(key)).toBe(false);
    expect(signRelayToken(ring(7), camera, now)).not.toContain(key.toString('base64url'));
  });
});

describe('lease values', () => {
  it('round-trips the owner and rejects what is not one', () => {
    const owner = { instanceId: 'api-1', internalUrl: 'http://10.0.0.5:8080' };
    expect(decodeOwner(encodeOwner(owner))).toEqual(owner);
    expect(decodeOwner('api-1')).toBeNull();
    expect(decodeOwner('{"i":1,"u":"x"}')).toBeNull();
  });

  it('turns the owner base URL into its internal WebSocket address', () => {
    expect(internalStreamUrl('http://127.0.0.1:8080', camera)).toBe(
      `ws://127.0.0.1:8080/internal/relay/${camera}`,
    );
    expect(internalStreamUrl('https://relay.example:8443/', camera)).toBe(
      `wss://relay.example:8443/internal/relay/${camera}`,
    );
  });
});

describe('the stream layer from relay figures', () => {
  const stats = { frames: 50, keyframes: 2, bytes: 250_000, windowMs: 2000, at: now, instanceId: 'api-1' };

  it('gives frames, fps and bitrate, and says they came from the relay', () => {
    expect(streamFromRelay(stats, now + 1000)).toEqual({
      outcome: 'ok',
      frames: 50,
      keyframes: 2,
      fps: 25,
      bitrateKbps: 1000,
      firstFrameMs: null,
      source: 'relay',
      relayInstance: 'api-1',
      ageMs: 1000,
    });
  });

  it('ignores stale figures, figures from the future and a relay without frames', () => {
    expect(streamFromRelay(stats, now + RELAY_STATS_MAX_AGE_MS)).not.toBeNull();
    expect(streamFromRelay(stats, now + RELAY_STATS_MAX_AGE_MS + 1)).toBeNull();
    expect(streamFromRelay(stats, now - RELAY_STATS_MAX_AGE_MS - 1)).toBeNull();
    expect(streamFromRelay({ ...stats, frames: 0 }, now)).toBeNull();
    expect(streamFromRelay({ ...stats, windowMs: 0 }, now)).toBeNull();
    expect(streamFromRelay(null, now)).toBeNull();
  });

  it('parses only well-formed figures', () => {
    expect(parseRelayStats(JSON.stringify(stats))).toEqual(stats);
    expect(parseRelayStats('{')).toBeNull();
    expect(parseRelayStats(JSON.stringify({ ...stats, frames: '50' }))).toBeNull();
    expect(parseRelayStats(JSON.stringify({ ...stats, instanceId: undefined }))).toBeNull();
  });
});

describe('the cluster upstream factory', () => {
  type Claim = Awaited<ReturnType<RelayRegistry['claim']>>;
  const me = { instanceId: 'here', internalUrl: 'http://127.0.0.1:9' };

  function rig(opts: { maxUpstreams?: number; claims?: Claim[] } = {}) {
    const claims = [...(opts.claims ?? [])];
    const calls: string[] = [];
    const registry = {
      claim: async (cameraId: string) => {
        calls.push(`claim ${cameraId}`);
        return claims.shift() ?? ({ kind: 'ours' } as Claim);
      },
      release: async (cameraId: string) => {
        calls.push(`release ${cameraId}`);
      },
    } as unknown as RelayRegistry;
    const locals: Array<{ stopped: boolean; emitEnd: (r: string, restart: boolean) => void }> = [];
    const local = async () => {
      const events = new EventEmitter();
      const state = { stopped: false, emitEnd: (r: string, x: boolean) => events.emit('end', r, x) };
      locals.push(state);
      const upstream: Upstream = {
        kind: 'copy',
        on(event, listener) {
          events.on(event, listener);
          return this;
        },
        stop: async () => {
          await new Promise((r) => setTimeout(r, 20));
          calls.push('ffmpeg gone');
          state.stopped = true;
        },
      };
      return upstream;
    };
    const cluster = new ClusterUpstreams({
      local,
      registry,
      tokens: ring(1),
      config: { maxUpstreams: opts.maxUpstreams ?? 4, countyMaxUpstreams: 10 },
      self: () => me,
      log: pino({ level: 'silent' }),
      leaseTtlMs: 1000,
      connectTimeoutMs: 200,
      stallMs: 1000,
    });
    return { cluster, calls, locals };
  }

  it('pulls a camera whose lease it gets, and gives the lease back only once ffmpeg is gone', async () => {
    const { cluster, calls } = rig();
    const upstream = await cluster.factory('cam-1');
    expect(upstream.kind).toBe('copy');
    expect(cluster.ownedCameras()).toEqual(['cam-1']);
    await upstream.stop();
    expect(calls).toEqual(['claim cam-1', 'ffmpeg gone', 'release cam-1']);
    expect(cluster.ownedCameras()).toEqual([]);
  });

  it('refuses past its own cap and past the county cap, holding no lease', async () => {
    const { cluster, calls } = rig({
      maxUpstreams: 1,
      claims: [{ kind: 'ours' }, { kind: 'ours' }, { kind: 'full' }],
    });
    await cluster.factory('cam-1');
    await expect(cluster.factory('cam-2')).rejects.toBeInstanceOf(RelayRefusal);
    expect(calls).toContain('release cam-2');
    await expect(cluster.factory('cam-3')).rejects.toThrow(/county/);
  });

  it('reads from the owner when another instance holds the lease (unreachable owner: an error to retry)', async () => {
    const owner = { instanceId: 'there', internalUrl: 'http://127.0.0.1:9' };
    const { cluster, locals } = rig({ claims: [{ kind: 'owner', owner }] });
    const error = await cluster.factory('cam-1').catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(RelayRefusal);
    expect(locals).toHaveLength(0);
  });

  it('ends its upstream (restart) when a heartbeat finds the lease taken by another instance', async () => {
    const owner = { instanceId: 'there', internalUrl: 'http://127.0.0.1:9' };
    const { cluster, locals } = rig({ claims: [{ kind: 'ours' }, { kind: 'owner', owner }] });
    const upstream = await cluster.factory('cam-1');
    const ended = new Promise<[string, boolean]>((r) =>
      upstream.on('end', (reason, restart) => r([reason, restart])),
    );
    await cluster.heartbeat();
    const [, restart] = await ended;
    expect(restart).toBe(true);
    expect(locals[0]?.stopped).toBe(true);
    expect(cluster.ownedCameras()).toEqual([]);
  });
});
