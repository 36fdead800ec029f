import { writeFileSync } from 'node:fs';
import type { PrometheusServer } from './prometheus-server.js';
import type { LoadRun } from './load.js';

interface Line {
  label: string;
  points: Array<[number, number]>;
}

interface Chart {
  title: string;
  unit: string;
  lines: Line[];
}

const COLORS = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#ff7f0e',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#17becf',
];
const W = 900;
const H = 260;
const PAD = { left: 70, right: 170, top: 34, bottom: 34 };

function escape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function chartSvg(chart: Chart, y0: number, t0: number, t1: number): string {
  const values = chart.lines.flatMap((l) => l.points.map((p) => p[1])).filter(Number.isFinite);
  const max = Math.max(1e-9, ...values) * 1.1;
  const x = (t: number) =>
    PAD.left + ((t - t0) / Math.max(1, t1 - t0)) * (W - PAD.left - PAD.right);
  const y = (v: number) => y0 + PAD.top + (1 - v / max) * (H - PAD.top - PAD.bottom);
  const parts: string[] = [
    `<text x="${PAD.left}" y="${y0 + 20}" font-size="15" font-weight="bold">${escape(chart.title)}</text>`,
    `<line x1="${PAD.left}" y1="${y(0)}" x2="${W - PAD.right}" y2="${y(0)}" stroke="#999"/>`,
    `<line x1="${PAD.left}" y1="${y(max)}" x2="${PAD.left}" y2="${y(0)}" stroke="#999"/>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const v = (max / 4) * i;
    parts.push(
      `<text x="${PAD.left - 6}" y="${y(v) + 4}" font-size="11" text-anchor="end">${v.toPrecision(3)} ${escape(chart.unit)}</text>`,
      `<line x1="${PAD.left}" y1="${y(v)}" x2="${W - PAD.right}" y2="${y(v)}" stroke="#eee"/>`,
    );
  }
  for (let s = 0; s <= t1 - t0; s += Math.max(10, Math.ceil((t1 - t0) / 60) * 10)) {
    parts.push(
      `<text x="${x(t0 + s)}" y="${y0 + H - 12}" font-size="11" text-anchor="middle">${s}s</text>`,
    );
  }
  chart.lines.forEach((line, i) => {
    const color = COLORS[i % COLORS.length]!;
    const d = line.points
      .filter((p) => Number.isFinite(p[1]))
      .map((p, j) => `${j === 0 ? 'M' : 'L'}${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`)
      .join(' ');
    parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"/>`);
    parts.push(
      `<rect x="${W - PAD.right + 12}" y="${y0 + PAD.top + i * 18}" width="12" height="3" fill="${color}"/>`,
      `<text x="${W - PAD.right + 30}" y="${y0 + PAD.top + i * 18 + 5}" font-size="12">${escape(line.label)}</text>`,
    );
  });
  return parts.join('\n');
}

async function lines(
  prometheus: PrometheusServer,
  query: string,
  label: (metric: Record<string, string>) => string,
  start: number,
  end: number,
): Promise<Line[]> {
  const data = await prometheus.api<{
    result: Array<{ metric: Record<string, string>; values: Array<[number, string]> }>;
  }>('query_range', { query, start: String(start), end: String(end), step: '1' });
  return data.result.map((s) => ({
    label: label(s.metric),
    // n.b. histogram_quantile is NaN while no observation falls in the window: left out
    points: s.values
      .map(([t, v]) => [t, Number(v)] as [number, number])
      .filter(([, v]) => Number.isFinite(v)),
  }));
}

/**
 * Renders throughput and latency of a load run, as Prometheus recorded them (query_range),
 * into an SVG file: the picture in the README's Observability section (docs/img/load-run.svg).
 */
export async function writeLoadPlot(
  prometheus: PrometheusServer,
  load: LoadRun,
  file: string,
): Promise<void> {
  const t0 = Math.floor(load.startedAt / 1000) - 2;
  const t1 = Math.ceil(Date.now() / 1000);
  const q = (quantile: number, h: string) =>
    `histogram_quantile(${quantile}, sum by (le) (rate(${h}_bucket[10s])))`;
  const charts: Chart[] = [
    {
      title: 'Attempts finished per second, by outcome (rate over 10 s)',
      unit: '/s',
      lines: await lines(
        prometheus,
        'sum by (outcome) (rate(conveyor_job_attempts_total[10s]))',
        (m) => m.outcome ?? '?',
        t0,
        t1,
      ),
    },
    {
      title: 'Latency: wait (due to start) and turnaround (submit to final outcome)',
      unit: 's',
      lines: [
        ...(await lines(prometheus, q(0.5, 'conveyor_job_wait_seconds'), () => 'wait p50', t0, t1)),
        ...(await lines(
          prometheus,
          q(0.95, 'conveyor_job_wait_seconds'),
          () => 'wait p95',
          t0,
          t1,
        )),
        ...(await lines(
          prometheus,
          q(0.5, 'conveyor_job_turnaround_seconds'),
          () => 'turnaround p50',
          t0,
          t1,
        )),
        ...(await lines(
          prometheus,
          q(0.95, 'conveyor_job_turnaround_seconds'),
          () => 'turnaround p95',
          t0,
          t1,
        )),
      ],
    },
    {
      title: 'Open jobs in the store (scheduler gauge) and SMTP replies per second',
      unit: '',
      lines: [
        ...(await lines(
          prometheus,
          'sum by (status) (max by (status, type, priority) (conveyor_jobs))',
          (m) => `jobs ${m.status ?? '?'}`,
          t0,
          t1,
        )),
        ...(await lines(
          prometheus,
          'sum by (class) (rate(conveyor_mail_smtp_replies_total[10s]))',
          (m) => `smtp ${m.class ?? '?'} /s`,
          t0,
          t1,
        )),
      ],
    },
  ];
  const body = charts.map((c, i) => chartSvg(c, i * H, t0, t1)).join('\n');
  writeFileSync(
    file,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H * charts.length}" font-family="sans-serif">\n<rect width="100%" height="100%" fill="white"/>\n${body}\n</svg>\n`,
  );
}
