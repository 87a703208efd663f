/** One metric family of a Prometheus text exposition: its type and the label names its samples carry. */
export interface Family {
  type: string;
  labelNames: Set<string>;
  samples: Map<string, number>;
}

const SUFFIXES = ['_bucket', '_sum', '_count'];

/** Parses /metrics text into families by name (a histogram's _bucket/_sum/_count samples join their family). */
export function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type?.[1] && type[2]) {
      families.set(type[1], { type: type[2], labelNames: new Set(), samples: new Map() });
      continue;
    }
    if (line === '' || line.startsWith('#')) continue;
    const sample = /^([A-Za-z_:][A-Za-z0-9_:]*)(\{[^}]*\})? (\S+)/.exec(line);
    if (!sample?.[1]) continue;
    const name = sample[1];
    const family =
      families.get(name) ??
      families.get(SUFFIXES.reduce((n, s) => (n.endsWith(s) ? n.slice(0, -s.length) : n), name));
    if (!family) continue;
    for (const m of (sample[2] ?? '').matchAll(/([A-Za-z_][A-Za-z0-9_]*)="/g)) {
      if (m[1] !== 'le' && m[1] !== 'quantile') family.labelNames.add(m[1] as string);
    }
    family.samples.set(`${name}${sample[2] ?? ''}`, Number(sample[3]));
  }
  return families;
}

/** prom-client's default process and Node.js metrics, under the API's and the workers' prefixes. */
export function isDefaultMetric(name: string): boolean {
  return /^xueliang_(worker_)?(process_|nodejs_)/.test(name);
}
