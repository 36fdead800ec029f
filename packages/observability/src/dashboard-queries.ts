import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';

/** One query of one panel. */
export interface PanelQuery {
  readonly dashboard: string;
  readonly panel: string;
  readonly refId: string;
  readonly expr: string;
}

interface PanelLike {
  type?: string;
  title?: string;
  targets?: Array<{ refId?: string; expr?: string }>;
  panels?: PanelLike[];
}

/** Every PromQL query of every panel of a dashboard (rows' nested panels included). */
export function panelQueries(dashboard: Dashboard): PanelQuery[] {
  const out: PanelQuery[] = [];
  const visit = (panels: PanelLike[] | undefined) => {
    for (const p of panels ?? []) {
      for (const t of p.targets ?? []) {
        out.push({
          dashboard: dashboard.title ?? '(untitled)',
          panel: p.title ?? '(untitled)',
          refId: t.refId ?? '?',
          expr: t.expr ?? '',
        });
      }
      visit(p.panels);
    }
  };
  visit(dashboard.panels as PanelLike[] | undefined);
  return out;
}

/** Grafana's built-in variables the dashboards use, and their meaning. */
export const BUILTIN_VARIABLES = ['__rate_interval'] as const;

/**
 * Replaces `$name` / `${name}` with `values[name]`, as Grafana does before it sends a query.
 * Throws on a variable it has no value for, so a typo cannot pass as "no data".
 */
export function interpolate(expr: string, values: Readonly<Record<string, string>>): string {
  return expr.replace(
    /\$\{(\w+)\}|\$(\w+)/g,
    (match, braced: string | undefined, bare: string | undefined) => {
      const name = (braced ?? bare)!;
      const value = values[name];
      if (value === undefined) throw new Error(`no value for variable $${name} in ${expr}`);
      return value;
    },
  );
}

/** The variable names a query refers to. */
export function variablesOf(expr: string): string[] {
  return [...expr.matchAll(/\$\{(\w+)\}|\$(\w+)/g)].map((m) => (m[1] ?? m[2])!);
}
