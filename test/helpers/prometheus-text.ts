/**
 * A strict parser of Prometheus's text exposition format (version 0.0.4), for tests that
 * scrape /metrics: every line is a `# HELP`, a `# TYPE` or a sample of a family announced by
 * its TYPE, label values are quoted with \\, \" and \n escapes, values are floats (or NaN,
 * +Inf, -Inf). Anything else throws with the line, so a malformed exposition fails the test.
 */
export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: MetricType;
  help: string;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function parseValue(text: string, line: string): number {
  // Prometheus reads values with Go's ParseFloat, which takes NaN in any case: prom-client
  // writes "Nan" for the event loop's lag before its first sample.
  if (text.toLowerCase() === 'nan') return NaN;
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text))
    throw new Error(`not a sample value: ${JSON.stringify(line)}`);
  return Number(text);
}

/** Reads `{a="x",b="y"}` from the start of `text`; returns the labels and what follows. */
function parseLabels(text: string, line: string): { labels: Record<string, string>; rest: string } {
  const labels: Record<string, string> = {};
  let at = 1;
  const fail = (): never => {
    throw new Error(`malformed labels: ${JSON.stringify(line)}`);
  };
  for (;;) {
    if (text[at] === '}') return { labels, rest: text.slice(at + 1) };
    const eq = text.indexOf('=', at);
    if (eq < 0) fail();
    const name = text.slice(at, eq);
    if (!LABEL_NAME.test(name) || name in labels || text[eq + 1] !== '"') fail();
    let value = '';
    let i = eq + 2;
    for (; i < text.length && text[i] !== '"'; i++) {
      if (text[i] !== '\\') {
        value += text.charAt(i);
        continue;
      }
      const next = text[++i];
      if (next === 'n') value += '\n';
      else if (next === '\\' || next === '"') value += next;
      else fail();
    }
    if (i >= text.length) fail();
    labels[name] = value;
    at = i + 1;
    if (text[at] === ',') at++;
    else if (text[at] !== '}') fail();
  }
}

/** The family a sample belongs to: histograms' and summaries' _bucket, _sum, _count included. */
function familyOf(sample: string, families: Map<string, Family>): Family | undefined {
  const direct = families.get(sample);
  if (direct) return direct;
  const match = /^(.*)_(bucket|sum|count)$/.exec(sample);
  const family = match?.[1] === undefined ? undefined : families.get(match[1]);
  if (!family) return undefined;
  if (family.type === 'histogram') return family;
  if (family.type === 'summary' && match?.[2] !== 'bucket') return family;
  return undefined;
}

export function parsePrometheusText(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  if (!text.endsWith('\n')) throw new Error('the exposition does not end with a newline');
  for (const line of text.slice(0, -1).split('\n')) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (meta) {
      const [, kind, name = '', rest = ''] = meta;
      if (!NAME.test(name)) throw new Error(`bad metric name: ${JSON.stringify(line)}`);
      const family = families.get(name) ?? { name, type: 'untyped', help: '', samples: [] };
      if (kind === 'TYPE') {
        if (!TYPES.has(rest) || family.samples.length > 0)
          throw new Error(`bad or late TYPE: ${JSON.stringify(line)}`);
        family.type = rest as MetricType;
      } else family.help = rest;
      families.set(name, family);
      continue;
    }
    if (line.startsWith('#')) continue;
    const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
    if (!nameMatch) throw new Error(`not a sample: ${JSON.stringify(line)}`);
    const name = nameMatch[0];
    let rest = line.slice(name.length);
    let labels: Record<string, string> = {};
    if (rest.startsWith('{')) ({ labels, rest } = parseLabels(rest, line));
    const parts = rest.split(' ');
    if (parts[0] !== '' || parts.length < 2 || parts.length > 3)
      throw new Error(`not a sample: ${JSON.stringify(line)}`);
    const value = parseValue(parts[1] ?? '', line);
    if (parts[2] !== undefined && !/^-?\d+$/.test(parts[2]))
      throw new Error(`bad timestamp: ${JSON.stringify(line)}`);
    const family = familyOf(name, families);
    if (!family) throw new Error(`sample of no announced family: ${JSON.stringify(line)}`);
    family.samples.push({ name, labels, value });
  }
  return families;
}

/** The value of the one sample of `name` whose labels include `labels`; throws when not exactly one. */
export function sampleValue(
  families: Map<string, Family>,
  name: string,
  labels: Record<string, string> = {},
): number {
  const matching = [...families.values()]
    .flatMap((family) => family.samples)
    .filter(
      (sample) =>
        sample.name === name &&
        Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
    );
  if (matching.length !== 1)
    throw new Error(`${matching.length} samples of ${name} ${JSON.stringify(labels)}`);
  return matching[0]?.value ?? NaN;
}
