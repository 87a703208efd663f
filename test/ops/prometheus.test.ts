import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { documentedMetrics, promqlNames, readRepoFile, repoPath, runTool } from './ops-support.js';

// prometheus/ checked by the real promtool: the configuration, the alert rules, and the rules' unit tests.

interface RuleFile {
  groups: { name: string; rules: { alert?: string; record?: string; expr: string; for?: string }[] }[];
}

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'xueliang-ops-prom-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** A copy of prometheus/ in the scratch folder, with alerts.yml passed through `edit`. */
async function copyWithAlerts(name: string, edit: (alerts: string) => string): Promise<string> {
  const dir = join(scratch, name);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir);
  for (const file of ['prometheus.yml', 'alerts.test.yml'])
    await copyFile(repoPath(`prometheus/${file}`), join(dir, file));
  await writeFile(join(dir, 'alerts.yml'), edit(await readFile(repoPath('prometheus/alerts.yml'), 'utf8')));
  return dir;
}

describe('prometheus/', () => {
  it('promtool accepts the configuration', () => {
    const result = runTool('promtool', ['check', 'config', 'prometheus/prometheus.yml']);
    expect(result.code, result.report).toBe(0);
  });

  it('promtool accepts the alert rules', () => {
    const result = runTool('promtool', ['check', 'rules', 'prometheus/alerts.yml']);
    expect(result.code, result.report).toBe(0);
  });

  it('the rules pass their unit tests (each rule both firing and not)', () => {
    const result = runTool('promtool', ['test', 'rules', 'prometheus/alerts.test.yml']);
    expect(result.code, result.report).toBe(0);
  });

  it('every rule has a unit test that names it', () => {
    const rules = (parse(readRepoFile('prometheus/alerts.yml')) as RuleFile).groups.flatMap((g) => g.rules);
    const tests = readRepoFile('prometheus/alerts.test.yml');
    expect(rules.map((r) => r.alert)).toEqual([
      'XueliangCountyEffectiveRateBelowTarget',
      'XueliangProbePipelineStalled',
      'XueliangWorkerDown',
      'XueliangWorkerKindAbsent',
    ]);
    for (const rule of rules) expect(tests).toContain(`alertname: ${rule.alert}`);
  });

  it('the rules use documented metric names only', () => {
    const { allowed } = documentedMetrics(readRepoFile('docs/metrics.md'));
    const rules = (parse(readRepoFile('prometheus/alerts.yml')) as RuleFile).groups.flatMap((g) => g.rules);
    for (const rule of rules) {
      const { metrics, unknownFunctions } = promqlNames(rule.expr);
      expect(unknownFunctions, rule.alert).toEqual([]);
      expect(metrics.length, rule.alert).toBeGreaterThan(0);
      for (const metric of metrics) expect(allowed, `${rule.alert}: ${metric}`).toContain(metric);
    }
  });

  it('promtool rejects a broken rule file (the checks can fail)', async () => {
    const dir = await copyWithAlerts('broken-syntax', (alerts) =>
      alerts.replace('max(xueliang_county_effective_ratio)', 'max(xueliang_county_effective_ratio'),
    );
    const rules = runTool('promtool', ['check', 'rules', join(dir, 'alerts.yml')]);
    expect(rules.code, rules.report).not.toBe(0);
    expect(rules.stderr + rules.stdout).toMatch(/unclosed|parse error|unexpected/i);
    const config = runTool('promtool', ['check', 'config', join(dir, 'prometheus.yml')]);
    expect(config.code, config.report).not.toBe(0);
  });

  it('the unit tests catch a rule that fires too early', async () => {
    const dir = await copyWithAlerts('too-early', (alerts) => alerts.replace('for: 15m', 'for: 5m'));
    const check = runTool('promtool', ['check', 'rules', join(dir, 'alerts.yml')]);
    expect(check.code, check.report).toBe(0);
    const result = runTool('promtool', ['test', 'rules', join(dir, 'alerts.test.yml')]);
    expect(result.code, result.report).not.toBe(0);
    expect(result.stdout + result.stderr).toContain('XueliangCountyEffectiveRateBelowTarget');
  });

  it('the unit tests catch a stall rule that misses vanished probe workers', async () => {
    const dir = await copyWithAlerts('no-absent-probes', (alerts) => alerts.replace(' or vector(0))', ')'));
    const result = runTool('promtool', ['test', 'rules', join(dir, 'alerts.test.yml')]);
    expect(result.code, result.report).not.toBe(0);
    expect(result.stdout + result.stderr).toContain('XueliangProbePipelineStalled');
  });
});
