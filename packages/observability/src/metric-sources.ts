import { readdirSync, readFileSync, statSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { REPO_ROOT } from './repo-paths.js';

export type MetricType = 'counter' | 'gauge' | 'histogram';

/** A metric as the source code declares it. */
export interface DeclaredMetric {
  readonly name: string;
  readonly type: MetricType;
  /** Label names, sorted (the `service` label every series gets is not listed). */
  readonly labels: readonly string[];
  /** Repository path of the file that declares it. */
  readonly file: string;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = resolve(dir, entry);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (entry.endsWith('.ts') && !entry.endsWith('.test.ts') && !entry.endsWith('.d.ts'))
      out.push(path);
  }
  return out;
}

/** The `{ … }` starting at `open` (a `{` index), braces balanced; strings are not special. */
function objectAt(text: string, open: number): string {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) return text.slice(open, i + 1);
  }
  return text.slice(open);
}

function labelsIn(text: string): string[] {
  const list = /labelNames:\s*\[([^\]]*)\]/.exec(text)?.[1] ?? '';
  return [...list.matchAll(/'([^']+)'/g)].map((m) => m[1]!).sort();
}

const TYPES: Record<string, MetricType> = {
  Counter: 'counter',
  Gauge: 'gauge',
  Histogram: 'histogram',
};

/**
 * Every `conveyor_*` metric the source of Conveyor's packages and services declares with
 * prom-client, found without running anything: `new Counter|Gauge|Histogram({ name: '…' })`,
 * or a local helper (`const counter = (name, help) => new Counter({ name, … })`) called
 * with the name as its first argument; the labels are the `labelNames` of the constructor
 * call or of the helper. The dashboards package (queries, not declarations) is not read.
 * Throws on a `conveyor_*` literal in a file that builds metrics and that it cannot place, so a new way of declaring a
 * metric is noticed rather than skipped.
 */
export function declaredMetrics(root: string = REPO_ROOT): DeclaredMetric[] {
  const files = ['packages', 'services'].flatMap((top) =>
    readdirSync(resolve(root, top))
      .filter((pkg) => !(top === 'packages' && pkg === 'observability'))
      .map((pkg) => resolve(root, top, pkg, 'src'))
      .filter((src) => {
        try {
          return statSync(src).isDirectory();
        } catch {
          return false;
        }
      })
      .flatMap(sourceFiles),
  );
  const out: DeclaredMetric[] = [];
  for (const path of files) {
    const text = readFileSync(path, 'utf8');
    const file = relative(root, path);
    for (const m of text.matchAll(/(name:\s*|\b(\w+)\(\s*)'(conveyor_[a-z0-9_]+)'/g)) {
      const name = m[3]!;
      const at = m.index;
      if (m[1]!.startsWith('name')) {
        const before = text.slice(0, at);
        const ctor = [...before.matchAll(/new (Counter|Gauge|Histogram)\(\{/g)].at(-1);
        if (!ctor) throw new Error(`${file}: ${name} is not in a prom-client constructor`);
        const open = ctor.index + ctor[0].length - 1;
        const body = objectAt(text, open);
        if (open + body.length < at)
          throw new Error(`${file}: ${name} is not in a prom-client constructor`);
        out.push({ name, type: TYPES[ctor[1]!]!, labels: labelsIn(body), file });
      } else {
        const helper = m[2]!;
        const start = text.indexOf(`const ${helper} = (`);
        const def =
          start < 0 ? null : /=>\s*new (Counter|Gauge|Histogram)\(\{/.exec(text.slice(start));
        if (!def) throw new Error(`${file}: ${name} is passed to ${helper}, not a metric helper`);
        const body = objectAt(text, start + def.index + def[0].length - 1);
        out.push({ name, type: TYPES[def[1]!]!, labels: labelsIn(body), file });
      }
    }
    if (!/new (Counter|Gauge|Histogram)\(/.test(text)) continue;
    for (const lit of text.matchAll(/'(conveyor_[a-z0-9_]+)'/g))
      if (!out.some((d) => d.file === file && d.name === lit[1]))
        throw new Error(`${file}: ${lit[1]} looks like a metric name but is not declared as one`);
  }
  return out;
}
