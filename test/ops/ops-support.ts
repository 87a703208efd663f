import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The repository root; the deployment files are read from here. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const repoPath = (relative: string): string => `${ROOT}${relative}`;
export const readRepoFile = (relative: string): string => readFileSync(repoPath(relative), 'utf8');

export interface ToolResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** what to print when an assertion on the result fails: the command and everything it wrote */
  report: string;
}

/**
 * Runs a real tool (promtool, docker-compose) and keeps its output. A tool that is not installed comes back as
 * a failure that says so, never as a skipped test.
 */
export function runTool(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): ToolResult {
  const result = spawnSync(command, args, {
    cwd: options.cwd ?? ROOT,
    env: options.env ?? process.env,
    encoding: 'utf8',
    timeout: 60_000,
  });
  const stdout = result.stdout ?? '';
  const stderr = result.error
    ? `${command} could not run: ${result.error.message} (CI installs it: see .ci/run)`
    : (result.stderr ?? '');
  const report = `$ ${command} ${args.join(' ')}\n--- exit ${result.status}\n--- stderr:\n${stderr}\n--- stdout:\n${stdout}`;
  return { code: result.error ? null : result.status, stdout, stderr, report };
}

/**
 * The metric names of docs/metrics.md's table (first column, in backticks), with their types and label names
 * (third column). A histogram `x` also allows `x_bucket`, `x_sum` and `x_count`.
 */
export function documentedMetrics(markdown: string): {
  types: Map<string, string>;
  labels: Map<string, string[]>;
  /** the Process column: API, probe worker, workers, Prometheus */
  process: Map<string, string>;
  allowed: Set<string>;
} {
  const types = new Map<string, string>();
  const labels = new Map<string, string[]>();
  const process = new Map<string, string>();
  for (const line of markdown.split('\n')) {
    const row = /^\|\s*`([A-Za-z_:][A-Za-z0-9_:]*)`\s*\|\s*([a-z]+)\s*\|([^|]*)\|/.exec(line);
    if (!row?.[1] || !row[2]) continue;
    types.set(row[1], row[2]);
    labels.set(row[1], [...(row[3] ?? '').matchAll(/`([a-z_]+)`/g)].map((m) => m[1] as string).sort());
    process.set(row[1], line.split('|').at(-2)?.trim() ?? '');
  }
  const allowed = new Set<string>();
  for (const [name, type] of types) {
    allowed.add(name);
    if (type === 'histogram')
      for (const suffix of ['_bucket', '_sum', '_count']) allowed.add(`${name}${suffix}`);
  }
  return { types, labels, process, allowed };
}

/** PromQL functions and aggregation operators: a word followed by '(' must be one of these. */
const FUNCTIONS = new Set([
  'abs',
  'absent',
  'absent_over_time',
  'avg',
  'avg_over_time',
  'bottomk',
  'ceil',
  'changes',
  'clamp',
  'clamp_max',
  'clamp_min',
  'count',
  'count_over_time',
  'count_values',
  'day_of_month',
  'day_of_week',
  'day_of_year',
  'days_in_month',
  'delta',
  'deriv',
  'exp',
  'floor',
  'group',
  'histogram_quantile',
  'holt_winters',
  'hour',
  'idelta',
  'increase',
  'irate',
  'label_join',
  'label_replace',
  'last_over_time',
  'ln',
  'log10',
  'log2',
  'max',
  'max_over_time',
  'min',
  'min_over_time',
  'minute',
  'month',
  'predict_linear',
  'present_over_time',
  'quantile',
  'quantile_over_time',
  'rate',
  'resets',
  'round',
  'scalar',
  'sgn',
  'sort',
  'sort_desc',
  'sqrt',
  'stddev',
  'stddev_over_time',
  'stdvar',
  'stdvar_over_time',
  'sum',
  'sum_over_time',
  'time',
  'timestamp',
  'topk',
  'vector',
  'year',
]);
const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'atan2', 'inf', 'nan']);

/**
 * The metric names a PromQL expression selects, and any word used as a function that PromQL does not have.
 * Strings, label matchers, ranges and label lists (by, without, on, ignoring, group_left/right) are set aside
 * first, so only selector names, functions and keywords are left.
 */
export function promqlNames(expr: string): { metrics: string[]; unknownFunctions: string[] } {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\b(?:group_left|group_right)\b/g, ' ');
  const metrics: string[] = [];
  const unknownFunctions: string[] = [];
  for (const match of bare.matchAll(/(?<![\w.$])[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const word = match[0];
    if (KEYWORDS.has(word.toLowerCase())) continue;
    const calls = bare
      .slice((match.index ?? 0) + word.length)
      .trimStart()
      .startsWith('(');
    if (calls) {
      if (!FUNCTIONS.has(word)) unknownFunctions.push(word);
    } else {
      metrics.push(word);
    }
  }
  return { metrics, unknownFunctions };
}
