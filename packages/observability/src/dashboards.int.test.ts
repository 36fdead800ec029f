import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { waitFor } from '@conveyor/testkit';
import { buildDashboards } from './dashboards/index.js';
import { interpolate, panelQueries } from './dashboard-queries.js';
import { startConveyorSystem, type ConveyorSystem } from './testing/conveyor-system.js';
import { startPrometheus, type PrometheusServer } from './testing/prometheus-server.js';
import { runMixedLoad, type LoadRun } from './testing/load.js';
import { writeLoadPlot } from './testing/load-plot.js';

interface Series {
  metric: Record<string, string>;
  values: Array<[number, string]>;
}

let system: ConveyorSystem;
let prometheus: PrometheusServer;
let load: LoadRun;

function rabbitmqPrometheusTarget(): string {
  const url = process.env.RABBITMQ_PROMETHEUS_URL;
  if (!url)
    throw new Error(
      "RABBITMQ_PROMETHEUS_URL is not set: run `pnpm infra:up` (RabbitMQ's prometheus plugin) and load .infra/env",
    );
  return new URL(url).host;
}

beforeAll(async () => {
  system = await startConveyorSystem();
  const rabbitmq = rabbitmqPrometheusTarget();
  const at = (p: { opsPort: number }) => [`127.0.0.1:${p.opsPort}`];
  prometheus = await startPrometheus([
    { job: 'conveyor-api', targets: at(system.api) },
    { job: 'conveyor-mailer', targets: at(system.mailer) },
    { job: 'conveyor-processor', targets: at(system.processor) },
    { job: 'conveyor-scheduler', targets: at(system.scheduler) },
    { job: 'rabbitmq', targets: [rabbitmq] },
    {
      job: 'rabbitmq-queues',
      targets: [rabbitmq],
      path: '/metrics/detailed',
      params: { family: ['queue_coarse_metrics', 'queue_consumer_count'] },
    },
  ]);
  load = await runMixedLoad(system, { rounds: Number(process.env.CONVEYOR_LOAD_ROUNDS ?? 2) });
  // every final outcome scraped, and a few more scrapes so each rate has samples after it
  const expected = load.jobIds.length;
  await waitFor(
    async () => {
      const r = await prometheus.api<{ result: Array<{ value: [number, string] }> }>('query', {
        query: 'sum(conveyor_job_attempts_total{outcome=~"succeeded|failed"})',
      });
      return Number(r.result[0]?.value[1] ?? 0) >= expected;
    },
    { timeoutMs: 60_000, intervalMs: 1000, what: 'Prometheus to scrape every final outcome' },
  );
  await new Promise((r) => setTimeout(r, 5000));
}, 300_000);

afterAll(async () => {
  await prometheus?.stop();
  await system?.stop();
});

describe('dashboards against a real Prometheus scraping the running system', () => {
  it('the load produced every outcome the dashboards show', () => {
    const counts: Record<string, number> = {};
    for (const s of Object.values(load.statuses)) counts[s] = (counts[s] ?? 0) + 1;
    expect(counts.succeeded).toBeGreaterThan(0);
    expect(counts.failed).toBeGreaterThan(0);
  });

  it('loads every recording and alerting rule without an evaluation error', async () => {
    type Rule = { name: string; health: string; lastError?: string };
    // n.b. a rule reports health 'unknown' until its group's first evaluation: wait for that
    const rules = await waitFor(
      async () => {
        const data = await prometheus.api<{ groups: Array<{ rules: Rule[] }> }>('rules', {});
        const all = data.groups.flatMap((g) => g.rules);
        return all.length > 0 && all.every((r) => r.health !== 'unknown') ? all : null;
      },
      { timeoutMs: 45_000, intervalMs: 500, what: 'every rule evaluated once' },
    );
    expect(rules.length).toBeGreaterThanOrEqual(19);
    expect(rules.filter((r) => r.health !== 'ok')).toEqual([]);
  });

  it('answers every query of every panel with at least one series', async () => {
    const variables = { __rate_interval: '10s', prefix: system.prefix, type: '.+' };
    const start = String(load.startedAt / 1000);
    const end = String(Date.now() / 1000);
    const failures: string[] = [];
    let checked = 0;
    for (const dashboard of Object.values(buildDashboards())) {
      for (const q of panelQueries(dashboard)) {
        const query = interpolate(q.expr, variables);
        checked++;
        try {
          const data = await prometheus.api<{ result: Series[] }>('query_range', {
            query,
            start,
            end,
            step: '2',
          });
          if (data.result.length === 0)
            failures.push(`${q.dashboard} / ${q.panel} [${q.refId}]: no series for ${query}`);
        } catch (err) {
          failures.push(`${q.dashboard} / ${q.panel} [${q.refId}]: ${(err as Error).message}`);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThanOrEqual(60);
    if (process.env.CONVEYOR_LOAD_PLOT)
      await writeLoadPlot(prometheus, load, process.env.CONVEYOR_LOAD_PLOT);
  });

  it('counts webhook deliveries by receiver status class and stored reports', async () => {
    const value = async (query: string): Promise<number> => {
      const data = await prometheus.api<{ result: Array<{ value: [number, string] }> }>('query', {
        query,
      });
      return Number(data.result[0]?.value[1] ?? 0);
    };
    const rounds = load.rounds;
    // per round: two /ok and a /flaky retried to 200, one 503 (/flaky), one 400 (/bad)
    expect(await value('sum(conveyor_webhook_deliveries_total{result="2xx"})')).toBe(3 * rounds);
    expect(await value('sum(conveyor_webhook_deliveries_total{result="5xx"})')).toBe(rounds);
    expect(await value('sum(conveyor_webhook_deliveries_total{result="4xx"})')).toBe(rounds);
    expect(
      await value('sum(conveyor_job_errors_total{type="webhook.deliver",code="WEBHOOK_HTTP_400"})'),
    ).toBe(rounds);
    expect(await value('sum(conveyor_reports_generated_total{source="job-stats"})')).toBe(rounds);
    expect(await value('sum(conveyor_report_bytes_total)')).toBeGreaterThan(1000 * rounds);
  });

  it('reads queue depth from the store once for the fleet, not per process', async () => {
    const data = await prometheus.api<{ result: Series[] }>('query', {
      query: 'count by (job) (conveyor_jobs)',
    });
    expect(data.result.map((s) => s.metric.job)).toEqual(['conveyor-scheduler']);
  });
});
