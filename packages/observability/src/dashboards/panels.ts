import {
  DashboardBuilder,
  DashboardCursorSync,
  DatasourceVariableBuilder,
  RowBuilder,
  TextBoxVariableBuilder,
  type Dashboard,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatPanelBuilder } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TimeseriesPanelBuilder } from '@grafana/grafana-foundation-sdk/timeseries';

/** Every panel queries the Prometheus picked in the dashboard's `datasource` variable. */
export const DATASOURCE = { type: 'prometheus', uid: '${datasource}' } as const;

/** One PromQL query of a panel and its legend. */
export interface Query {
  readonly expr: string;
  readonly legend?: string;
}

/** A panel: time series (default) or a single stat. */
export interface PanelSpec {
  readonly title: string;
  readonly description: string;
  /** Grafana unit id (`s`, `reqps`, `percentunit`, `short`, `bytes`). */
  readonly unit: string;
  readonly queries: readonly Query[];
  readonly kind?: 'timeseries' | 'stat';
  /** Width in grid columns of 24 (default 12). */
  readonly width?: number;
}

/** A titled row of panels. */
export interface RowSpec {
  readonly title: string;
  readonly panels: readonly PanelSpec[];
}

/** A dashboard before it is built. */
export interface DashboardSpec {
  readonly uid: string;
  readonly title: string;
  readonly description: string;
  readonly rows: readonly RowSpec[];
  /** Extra template variables besides `datasource` and `prefix`. */
  readonly variables?: readonly { build(): unknown }[];
}

const HEIGHT = 8;

function panel(spec: PanelSpec, id: number, x: number, y: number, width: number) {
  const targets = spec.queries.map((q, i) =>
    new DataqueryBuilder()
      .expr(q.expr)
      .legendFormat(q.legend ?? '__auto')
      .refId(String.fromCharCode(65 + i))
      .datasource(DATASOURCE),
  );
  const gridPos = { x, y, w: width, h: HEIGHT };
  if (spec.kind === 'stat') {
    const p = new StatPanelBuilder()
      .id(id)
      .title(spec.title)
      .description(spec.description)
      .unit(spec.unit)
      .datasource(DATASOURCE)
      .gridPos(gridPos);
    for (const t of targets) p.withTarget(t);
    return p;
  }
  const p = new TimeseriesPanelBuilder()
    .id(id)
    .title(spec.title)
    .description(spec.description)
    .unit(spec.unit)
    .datasource(DATASOURCE)
    .gridPos(gridPos)
    .fillOpacity(10)
    .spanNulls(true);
  for (const t of targets) p.withTarget(t);
  return p;
}

/**
 * Builds a dashboard with the official Grafana Foundation SDK: rows of panels laid out two
 * per line (or by their width), a `datasource` variable and a `prefix` variable (the
 * RabbitMQ name prefix, `CONVEYOR_PREFIX`) used by the broker queries.
 */
export function buildDashboard(spec: DashboardSpec): Dashboard {
  const builder = new DashboardBuilder(spec.title)
    .uid(spec.uid)
    .description(spec.description)
    .tags(['conveyor'])
    .editable()
    .refresh('30s')
    .time({ from: 'now-1h', to: 'now' })
    .timezone('browser')
    .tooltip(DashboardCursorSync.Crosshair)
    .withVariable(
      new DatasourceVariableBuilder('datasource').label('Prometheus').type('prometheus'),
    )
    .withVariable(
      new TextBoxVariableBuilder('prefix')
        .label('RabbitMQ prefix')
        .description('CONVEYOR_PREFIX of the services: queue names start with it')
        .defaultValue('conveyor'),
    );
  for (const v of spec.variables ?? []) builder.withVariable(v as never);
  let y = 0;
  let id = 1;
  for (const row of spec.rows) {
    builder.withRow(new RowBuilder(row.title).id(id++).gridPos({ x: 0, y, w: 24, h: 1 }));
    y += 1;
    let x = 0;
    for (const p of row.panels) {
      const width = p.width ?? 12;
      if (x + width > 24) {
        x = 0;
        y += HEIGHT;
      }
      builder.withPanel(panel(p, id++, x, y, width));
      x += width;
    }
    y += HEIGHT;
  }
  return builder.build();
}

/** `rate(<counter>[$__rate_interval])` summed by `by`. */
export function rateBy(by: string, selector: string): string {
  return `sum by (${by}) (rate(${selector}[$__rate_interval]))`;
}

/** A quantile of a histogram, grouped by `by` (besides `le`). */
export function quantile(q: number, histogram: string, by = '', filter = ''): string {
  const group = by ? `${by}, le` : 'le';
  return `histogram_quantile(${q}, sum by (${group}) (rate(${histogram}_bucket${filter}[$__rate_interval])))`;
}
