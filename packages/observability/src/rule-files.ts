import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { RULES_DIR } from './repo-paths.js';

/** One alerting rule as the rules files declare it. */
export interface AlertRule {
  readonly file: string;
  readonly alert: string;
  /** The `runbook_url` annotation, or undefined when the alert has none. */
  readonly runbookUrl: string | undefined;
}

/**
 * The alerting rules of every `*.yml` file in the rules folder. The files are plain YAML in
 * one layout (`- alert: Name` opening each rule, annotations indented under it), which
 * `promtool check rules` enforces in `pnpm test`; this reads that layout without a YAML
 * library: a rule runs from its `- alert:` line to the next rule or group.
 */
export function alertRules(dir: string = RULES_DIR): AlertRule[] {
  const out: AlertRule[] = [];
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.yml'))
    .sort()) {
    const text = readFileSync(resolve(dir, file), 'utf8');
    const blocks = text.split(/^\s*- (?=alert:|record:|name:)/m);
    for (const block of blocks) {
      const alert = /^alert:\s*(\S+)/.exec(block)?.[1];
      if (!alert) continue;
      const url = /^\s+runbook_url:\s*['"]?([^'"\s]+)['"]?\s*$/m.exec(block)?.[1];
      out.push({ file, alert, runbookUrl: url });
    }
  }
  return out;
}
