import { readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { documentedMetrics, promqlNames, readRepoFile, repoPath, runTool } from './ops-support.js';

// grafana/: the provisioned datasource, the dashboard provider, and the dashboards' queries. Every query is
// read from the JSON files, checked against docs/metrics.md and parsed by promtool.

interface Target {
  expr?: string;
  refId?: string;
  datasource?: { type?: string; uid?: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type?: string; uid?: string };
  targets?: Target[];
  panels?: Panel[];
}
interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating?: { list: unknown[] };
}

const datasources = parse(readRepoFile('grafana/provisioning/datasources/prometheus.yml')) as {
  datasources: { uid: string; type: string; url: string }[];
};
const provisioned = datasources.datasources[0];
const files = readdirSync(repoPath('grafana/dashboards'))
  .filter((f) => f.endsWith('.json'))
  .sort();
const dashboards = files.map((file) => ({
  file,
  dashboard: JSON.parse(readRepoFile(`grafana/dashboards/${file}`)) as Dashboard,
}));
const panelsOf = (d: Dashboard): Panel[] => d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
const queries = dashboards.flatMap(({ file, dashboard }) =>
  panelsOf(dashboard).flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({ where: `${file} › ${panel.title} › ${target.refId}`, target })),
  ),
);
/** Grafana's own interval variables, replaced by a fixed range before promtool reads a query. */
const GRAFANA_VARIABLES: Record<string, string> = {
  $__rate_interval: '1m',
  $__interval: '1m',
  $__range: '1d',
};
const substitute = (expr: string) =>
  expr.replace(/\$__rate_interval|\$__interval|\$__range/g, (v) => GRAFANA_VARIABLES[v] ?? v);

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'xueliang-ops-dash-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** Writes the expressions as recording rules and has promtool parse them. */
async function promtoolParses(name: string, exprs: string[]) {
  const file = join(scratch, `${name}.yml`);
  const rules = exprs.map((expr, i) => ({ record: `dashboard_query_${i}`, expr }));
  await writeFile(file, stringify({ groups: [{ name, rules }] }));
  return runTool('promtool', ['check', 'rules', file]);
}

describe('grafana/', () => {
  it('provisions one Prometheus datasource with a fixed uid at the compose service', () => {
    expect(datasources.datasources).toHaveLength(1);
    expect(provisioned?.type).toBe('prometheus');
    expect(provisioned?.uid).toMatch(/^[a-z0-9-]+$/);
    expect(provisioned?.url).toBe('http://prometheus:9090');
  });

  it('has the four dashboards, with unique uids and titles', () => {
    const titles = dashboards.map(({ dashboard }) => dashboard.title);
    const uids = dashboards.map(({ dashboard }) => dashboard.uid);
    expect(titles.sort()).toEqual([
      'County availability vs 95%',
      'Probe pipeline',
      'Relays',
      'Tickets & SLA',
    ]);
    expect(new Set(uids).size).toBe(uids.length);
    for (const { file, dashboard } of dashboards) {
      expect(dashboard.uid, file).toMatch(/^[a-z0-9-]{1,40}$/);
      expect(dashboard.schemaVersion, file).toBeGreaterThanOrEqual(39);
      const ids = panelsOf(dashboard).map((p) => p.id);
      expect(new Set(ids).size, `${file}: panel ids`).toBe(ids.length);
    }
  });

  it('points every panel and query at the provisioned datasource', () => {
    expect(queries.length).toBeGreaterThan(20);
    for (const { file, dashboard } of dashboards) {
      for (const panel of panelsOf(dashboard).filter((p) => p.type !== 'row')) {
        expect(panel.datasource?.uid, `${file} › ${panel.title}`).toBe(provisioned?.uid);
        expect(panel.targets?.length, `${file} › ${panel.title} has queries`).toBeGreaterThan(0);
      }
    }
    for (const { where, target } of queries) {
      expect(target.datasource?.uid, where).toBe(provisioned?.uid);
      expect(target.expr?.trim(), where).toBeTruthy();
    }
  });

  it('uses no template variables of its own', () => {
    for (const { file, dashboard } of dashboards) expect(dashboard.templating?.list ?? [], file).toEqual([]);
    for (const { where, target } of queries) {
      const leftover = substitute(target.expr ?? '').match(/\$\{?\w+/g);
      expect(leftover, where).toBeNull();
    }
  });

  it('queries documented metric names only', () => {
    const { allowed } = documentedMetrics(readRepoFile('docs/metrics.md'));
    for (const { where, target } of queries) {
      const { metrics, unknownFunctions } = promqlNames(target.expr ?? '');
      expect(unknownFunctions, where).toEqual([]);
      expect(metrics.length, `${where} selects a metric`).toBeGreaterThan(0);
      for (const metric of metrics) expect(allowed, `${where}: ${metric}`).toContain(metric);
    }
  });

  it('queries that promtool parses', async () => {
    const result = await promtoolParses(
      'dashboards',
      queries.map(({ target }) => substitute(target.expr ?? '')),
    );
    expect(result.code, result.report).toBe(0);
  });

  it('would catch a misspelt metric, an unknown function or a malformed query (the checks can fail)', async () => {
    const { allowed } = documentedMetrics(readRepoFile('docs/metrics.md'));
    const typo = promqlNames(
      'max by (town) (xueliang_town_efective_ratio) < on () group_left () vector(0.95)',
    );
    expect(typo.metrics).toEqual(['xueliang_town_efective_ratio']);
    expect(allowed.has('xueliang_town_efective_ratio')).toBe(false);
    expect(promqlNames('sum(rat(xueliang_probes_total[5m]))').unknownFunctions).toEqual(['rat']);
    const broken = await promtoolParses('broken', ['sum by (layer) (rate(xueliang_probes_total[1m])']);
    expect(broken.code, broken.report).not.toBe(0);
  });
});

describe('docs/metrics.md', () => {
  const { types } = documentedMetrics(readRepoFile('docs/metrics.md'));

  it('documents every metric the brief names, with its type', () => {
    expect(types.get('xueliang_county_effective_ratio')).toBe('gauge');
    expect(types.get('xueliang_probes_total')).toBe('counter');
    expect(types.get('xueliang_probe_duration_seconds')).toBe('histogram');
    expect(types.get('up')).toBe('gauge');
    expect(types.size).toBeGreaterThan(25);
  });

  it('documents every xueliang_ metric the code registers', () => {
    const grep = runTool('grep', ['-rhoE', "name: '(xueliang_[a-z0-9_]+)'", 'src', 'workers']);
    expect(grep.code, grep.report).toBe(0);
    const registered = [...grep.stdout.matchAll(/'(xueliang_[a-z0-9_]+)'/g)].map((m) => m[1] ?? '');
    expect(registered.length).toBeGreaterThan(10);
    for (const name of registered) expect([...types.keys()], name).toContain(name);
  });
});
