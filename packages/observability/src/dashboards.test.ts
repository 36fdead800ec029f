import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { defaultDashboard } from '@grafana/schema';
import { buildDashboards } from './dashboards/index.js';
import { dashboardFiles, DASHBOARDS_DIR } from './dashboard-files.js';
import { BUILTIN_VARIABLES, panelQueries, variablesOf } from './dashboard-queries.js';

interface PanelJson {
  id?: number;
  type?: string;
  title?: string;
  gridPos?: { x: number; y: number; w: number; h: number };
  datasource?: { type?: string; uid?: string };
  targets?: Array<{ refId?: string; expr?: string; datasource?: { uid?: string } }>;
}

const built = buildDashboards();

describe('Grafana dashboards as code', () => {
  it('are committed exactly as the code builds them (run the dashboards script after a change)', () => {
    for (const [file, text] of Object.entries(dashboardFiles())) {
      expect(readFileSync(`${DASHBOARDS_DIR}/${file}`, 'utf8')).toBe(text);
    }
  });

  // n.b. @grafana/schema ships Grafana's dashboard types and defaults, no runtime validator;
  // the builders (Grafana Foundation SDK, generated from the same schema) type every field
  it("carry the schema version of Grafana's own schema package and the fields Grafana requires", () => {
    const required: Array<keyof typeof defaultDashboard> = ['schemaVersion', 'panels', 'editable'];
    for (const dashboard of Object.values(built)) {
      expect(dashboard.schemaVersion).toBe(defaultDashboard.schemaVersion);
      for (const key of required) expect(dashboard).toHaveProperty(key);
      expect(dashboard.uid).toMatch(/^conveyor-[a-z-]+$/);
      expect(dashboard.title).toMatch(/^Conveyor \/ /);
    }
    const uids = Object.values(built).map((d) => d.uid);
    expect(new Set(uids).size).toBe(uids.length);
  });

  it('have unique panel ids, a 24-column grid, and Prometheus queries with refIds on every panel', () => {
    for (const dashboard of Object.values(built)) {
      const panels = (dashboard.panels ?? []) as PanelJson[];
      const ids = panels.map((p) => p.id);
      expect(ids.every((id) => Number.isInteger(id))).toBe(true);
      expect(new Set(ids).size).toBe(ids.length);
      for (const p of panels) {
        expect(p.gridPos).toBeDefined();
        expect(p.gridPos!.x + p.gridPos!.w).toBeLessThanOrEqual(24);
        if (p.type === 'row') continue;
        expect(['timeseries', 'stat']).toContain(p.type);
        expect(p.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
        expect(p.targets?.length).toBeGreaterThan(0);
        const refIds = p.targets!.map((t) => t.refId);
        expect(new Set(refIds).size).toBe(refIds.length);
        for (const t of p.targets!) {
          expect(t.expr?.trim()).toBeTruthy();
          expect(t.datasource?.uid).toBe('${datasource}');
        }
      }
    }
  });

  it('refer only to template variables they define (or Grafana built-ins)', () => {
    for (const dashboard of Object.values(built)) {
      const defined = new Set<string>([
        ...BUILTIN_VARIABLES,
        ...(dashboard.templating?.list ?? []).map((v) => v.name),
      ]);
      for (const q of panelQueries(dashboard)) {
        for (const v of variablesOf(q.expr))
          expect({ panel: q.panel, v, ok: defined.has(v) }).toEqual({
            panel: q.panel,
            v,
            ok: true,
          });
      }
    }
  });

  it('cover the five operator views', () => {
    expect(Object.keys(built).sort()).toEqual([
      'job-types',
      'mail',
      'overview',
      'scheduler',
      'workers',
    ]);
    const counts = Object.fromEntries(
      Object.entries(built).map(([k, d]) => [k, panelQueries(d).length]),
    );
    for (const n of Object.values(counts)) expect(n).toBeGreaterThanOrEqual(8);
  });
});
