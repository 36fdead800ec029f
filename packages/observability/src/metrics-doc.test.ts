import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { Counter, Gauge, Histogram, createMetricsRegistry } from '@conveyor/platform';
import { tableRows } from './markdown.js';
import { declaredMetrics, type DeclaredMetric } from './metric-sources.js';
import { REPO_ROOT } from './repo-paths.js';

const doc = readFileSync(resolve(REPO_ROOT, 'docs/metrics.md'), 'utf8');

/** Which services register the metrics a source file declares (its callers, see each main). */
function exporters(file: string): string {
  if (file.startsWith('packages/platform/')) return 'all four';
  if (file === 'packages/jobs/src/job-state.metrics.ts') return 'scheduler';
  if (file === 'packages/jobs/src/limits/limit-metrics.ts') return 'scheduler';
  if (file.startsWith('packages/jobs/src/worker/')) return 'mailer, processor';
  const service = /^services\/([a-z]+)\//.exec(file)?.[1];
  if (service) return service;
  throw new Error(`${file} declares metrics: say here which services register them`);
}

interface Row {
  name: string;
  type: string;
  labels: string[];
  exportedBy: string;
  answers: string;
}

function rows(section: string): Row[] {
  return tableRows(doc, section).map(
    ([name = '', type = '', labels = '', exportedBy = '', answers = '']) => ({
      name: name.replace(/`/g, ''),
      type,
      labels: labels === '—' ? [] : [...labels.matchAll(/`([^`]+)`/g)].map((m) => m[1]!).sort(),
      exportedBy,
      answers,
    }),
  );
}

const declared = declaredMetrics();
const catalogue = rows('Conveyor metrics');

function expected(d: DeclaredMetric): Omit<Row, 'answers'> {
  return {
    name: d.name,
    type: d.type,
    labels: [...d.labels],
    exportedBy: exporters(d.file),
  };
}

describe('docs/metrics.md, the metrics catalogue', () => {
  it('the source scan finds the metrics of every service (it can see them at all)', () => {
    const files = new Set(declared.map((d) => exporters(d.file)));
    for (const who of ['api', 'mailer', 'processor', 'scheduler', 'mailer, processor', 'all four'])
      expect(files).toContain(who);
    expect(declared.length).toBeGreaterThanOrEqual(40);
  });

  it('lists every metric the code registers with its type, labels and exporting services', () => {
    const byName = new Map(catalogue.map((r) => [r.name, r]));
    const missing = declared.filter((d) => !byName.has(d.name)).map((d) => d.name);
    expect(missing).toEqual([]);
    for (const d of declared) {
      const { answers: _answers, ...row } = byName.get(d.name)!;
      expect(row).toEqual(expected(d));
    }
  });

  it('lists no metric the code does not register, and none twice', () => {
    const names = catalogue.map((r) => r.name);
    expect(new Set(names).size).toBe(names.length);
    const known = new Set(declared.map((d) => d.name));
    expect(names.filter((n) => !known.has(n))).toEqual([]);
  });

  it('says what each metric answers', () => {
    for (const r of catalogue)
      expect({ name: r.name, answers: r.answers.length > 20 }).toEqual({
        name: r.name,
        answers: true,
      });
  });

  it("covers the runtime metrics of every service's registry with its wildcard rows", () => {
    const runtime = rows('Runtime metrics');
    const patterns = runtime.map((r) => new RegExp(`^${r.name.replace(/\*/g, '.*')}$`));
    const registry = createMetricsRegistry('catalogue');
    const defaults = registry.getMetricsAsArray();
    expect(defaults.length).toBeGreaterThan(10);
    const uncovered = defaults
      .map((m) => m.name)
      .filter((name) => !patterns.some((p) => p.test(name)));
    expect(uncovered).toEqual([]);
    for (const [i, p] of patterns.entries()) {
      const matched = defaults.filter((m) => p.test(m.name));
      expect({ row: runtime[i]!.name, matched: matched.length > 0 }).toEqual({
        row: runtime[i]!.name,
        matched: true,
      });
      for (const m of matched) {
        const type =
          m instanceof Counter
            ? 'counter'
            : m instanceof Histogram
              ? 'histogram'
              : m instanceof Gauge
                ? 'gauge'
                : '?';
        expect({ metric: m.name, documented: runtime[i]!.type.includes(type) }).toEqual({
          metric: m.name,
          documented: true,
        });
      }
    }
  });
});
