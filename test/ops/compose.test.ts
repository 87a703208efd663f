import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { readRepoFile, repoPath, runTool } from './ops-support.js';

// docker-compose.yml checked by Debian's docker-compose (1.29): it interpolates, validates against the Compose
// schema and prints the resolved file, which the structural checks below read. Nothing is built or started.

const REQUIRED_ENV = {
  POSTGRES_PASSWORD: 'dummy-postgres-password',
  XUELIANG_CREDENTIAL_KEYS: `k2026:${Buffer.alloc(32, 7).toString('base64')}`,
  GRAFANA_ADMIN_PASSWORD: 'dummy-grafana-password',
};

function composeConfig(extraArgs: string[], env: Record<string, string>) {
  return runTool('docker-compose', ['-f', 'docker-compose.yml', ...extraArgs, 'config'], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...env },
  });
}

interface Service {
  image?: string;
  build?: { target?: string };
  command?: string[];
  container_name?: string;
  ports?: string[];
  profiles?: string[];
  environment?: Record<string, string>;
  healthcheck?: { test?: string[] | string };
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
}
interface Resolved {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

const plain = composeConfig([], REQUIRED_ENV);
const resolved = parse(plain.stdout) as Resolved;
const services = resolved?.services ?? {};
const workers = Object.entries(services).filter(([name]) => name.startsWith('worker-'));
const prometheus = parse(readRepoFile('prometheus/prometheus.yml')) as {
  rule_files: string[];
  scrape_configs: {
    job_name: string;
    dns_sd_configs?: { names: string[]; type: string; port: number }[];
  }[];
};
const scrapeJob = (name: string) => prometheus.scrape_configs.find((j) => j.job_name === name);

describe('docker-compose.yml', () => {
  it('validates with the required variables set', () => {
    expect(plain.code, plain.report).toBe(0);
    expect(Object.keys(services)).toEqual(
      expect.arrayContaining(['postgres', 'redis', 'api', 'prometheus', 'grafana', 'sim']),
    );
  });

  it('validates with the sim profile', () => {
    const sim = composeConfig(['--profile', 'sim'], REQUIRED_ENV);
    expect(sim.code, sim.report).toBe(0);
    expect(sim.stdout).toContain('sim:');
  });

  it('refuses to resolve without each secret, naming it', { timeout: 90_000 }, () => {
    for (const missing of Object.keys(REQUIRED_ENV)) {
      const env = Object.fromEntries(Object.entries(REQUIRED_ENV).filter(([name]) => name !== missing));
      const result = composeConfig([], env);
      expect(result.code, result.report).not.toBe(0);
      expect(result.stderr, result.report).toContain(`set ${missing}`);
    }
  });

  it('gives every service a healthcheck, the API and the workers their /readyz', () => {
    for (const [name, service] of Object.entries(services)) {
      expect(service.healthcheck?.test, `${name} has no healthcheck`).toBeTruthy();
    }
    expect(JSON.stringify(services.api?.healthcheck?.test)).toContain('/readyz');
    for (const [name, worker] of workers) {
      const port = worker.environment?.XUELIANG_WORKER_METRICS_PORT;
      expect(port, `${name}: XUELIANG_WORKER_METRICS_PORT`).toMatch(/^\d+$/);
      expect(JSON.stringify(worker.healthcheck?.test), name).toContain(`:${port}/readyz`);
    }
  });

  it('runs each kind of worker as its own scalable service', () => {
    const entries = workers.map(([, w]) => w.command?.find((part) => part.startsWith('workers/')));
    expect(entries.sort()).toEqual([
      'workers/alerting.ts',
      'workers/discovery.ts',
      'workers/inventory.ts',
      'workers/probe.ts',
    ]);
    for (const [name, worker] of workers) {
      const entry = worker.command?.find((part) => part.startsWith('workers/')) ?? '';
      expect(existsSync(repoPath(entry)), `${name}: ${entry} exists`).toBe(true);
      expect(worker.container_name, `${name} must not fix its container name`).toBeUndefined();
      expect(worker.ports, `${name} must not publish a host port`).toBeUndefined();
      expect(worker.environment?.XUELIANG_HTTP_HOST, `${name} metrics reachable by Prometheus`).toBe(
        '0.0.0.0',
      );
      expect(worker.depends_on?.api?.condition, `${name} waits for the migrations`).toBe('service_healthy');
    }
  });

  it('publishes ports on 127.0.0.1 only', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const port of service.ports ?? []) expect(String(port), name).toMatch(/^127\.0\.0\.1:/);
    }
  });

  it('keeps the simulated county behind the sim profile and everything else out of profiles', () => {
    expect(services.sim?.profiles).toEqual(['sim']);
    for (const [name, service] of Object.entries(services)) {
      if (name !== 'sim') expect(service.profiles, name).toBeUndefined();
    }
  });

  it('keeps data in named volumes and Redis durable', () => {
    for (const volume of ['postgres-data', 'redis-data', 'prometheus-data', 'grafana-data']) {
      expect(Object.keys(resolved?.volumes ?? {})).toContain(volume);
    }
    const redis = services.redis?.command?.join(' ') ?? '';
    expect(redis).toContain('--appendonly yes');
    expect(redis).toContain('--maxmemory-policy noeviction');
  });

  it('provisions Prometheus and Grafana from the repository', () => {
    expect(services.prometheus?.image).toMatch(/^prom\/prometheus/);
    expect(services.grafana?.image).toMatch(/^grafana\/grafana/);
    expect(services.prometheus?.volumes?.join('\n')).toMatch(/\/prometheus:\/etc\/prometheus:ro/);
    const grafanaVolumes = services.grafana?.volumes?.join('\n') ?? '';
    const provider = parse(readRepoFile('grafana/provisioning/dashboards/xueliang.yml')) as {
      providers: { options: { path: string } }[];
    };
    expect(grafanaVolumes).toContain('/grafana/provisioning:/etc/grafana/provisioning:ro');
    expect(grafanaVolumes).toContain(`/grafana/dashboards:${provider.providers[0]?.options.path}:ro`);
    expect(services.grafana?.environment?.GF_SECURITY_ADMIN_PASSWORD).toBe(
      REQUIRED_ENV.GRAFANA_ADMIN_PASSWORD,
    );
  });

  it('has Prometheus scrape the API and every worker service by its DNS name', () => {
    expect(prometheus.rule_files).toEqual(['alerts.yml']);
    const api = scrapeJob('xueliang-api')?.dns_sd_configs?.[0];
    expect(api?.names).toEqual(['api']);
    expect(api?.type).toBe('A');
    expect(String(api?.port)).toBe(services.api?.environment?.XUELIANG_HTTP_PORT);
    const workerSd = scrapeJob('xueliang-workers')?.dns_sd_configs?.[0];
    expect(workerSd?.type).toBe('A');
    expect([...(workerSd?.names ?? [])].sort()).toEqual(workers.map(([name]) => name).sort());
    for (const [name, worker] of workers) {
      expect(String(workerSd?.port), name).toBe(worker.environment?.XUELIANG_WORKER_METRICS_PORT);
    }
  });
});
