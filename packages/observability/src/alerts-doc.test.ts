import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { anchors, headingAnchor, headings } from './markdown.js';
import { REPO_ROOT } from './repo-paths.js';
import { alertRules } from './rule-files.js';

const DOC = 'docs/alerts.md';
const doc = readFileSync(resolve(REPO_ROOT, DOC), 'utf8');
const rules = alertRules();
const sections = headings(doc, 2);

describe('docs/alerts.md, the runbook of the alerting rules', () => {
  it('the rules files declare alerts (the reader found them)', () => {
    expect(rules.length).toBeGreaterThanOrEqual(9);
    expect(rules.map((r) => r.alert)).toContain('ConveyorServiceDown');
  });

  it('has one section per alert, and no section for an alert that does not exist', () => {
    const names = rules.map((r) => r.alert).sort();
    expect(new Set(names).size).toBe(names.length);
    expect(sections.filter((s) => /^Conveyor\w+$/.test(s)).sort()).toEqual(names);
  });

  it("links every alert's runbook_url to that alert's own section", () => {
    const present = anchors(doc);
    for (const rule of rules) {
      expect({ alert: rule.alert, runbookUrl: rule.runbookUrl }).toEqual({
        alert: rule.alert,
        runbookUrl: `${DOC}#${headingAnchor(rule.alert)}`,
      });
      expect(present.has(headingAnchor(rule.alert))).toBe(true);
    }
  });

  it('gives each section what it means, likely causes, what to check and how to fix', () => {
    for (const rule of rules) {
      const start = doc.indexOf(`\n## ${rule.alert}\n`);
      const next = doc.indexOf('\n## ', start + 1);
      const body = doc.slice(start, next < 0 ? undefined : next);
      for (const part of ['**Means:**', '**Likely causes:**', '**Check:**', '**Fix:**'])
        expect({ alert: rule.alert, has: body.includes(part) ? part : null }).toEqual({
          alert: rule.alert,
          has: part,
        });
    }
  });

  it('has no link to an anchor that does not exist', () => {
    const present = anchors(doc);
    const links = [...doc.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1]!);
    expect(links.length).toBeGreaterThan(0);
    expect(links.filter((a) => !present.has(a))).toEqual([]);
  });
});
