import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitFor } from '@conveyor/testkit';
import type { ConveyorSystem } from './conveyor-system.js';

/** What {@link runMixedLoad} submitted, for assertions. */
export interface LoadRun {
  readonly startedAt: number;
  readonly finishedAt: number;
  /** How many times the job mix was submitted. */
  readonly rounds: number;
  readonly jobIds: readonly string[];
  readonly scheduleId: string;
  /** Final status by job id. */
  readonly statuses: Readonly<Record<string, string>>;
}

interface JobBody {
  type: string;
  payload: unknown;
  priority?: string;
  maxAttempts?: number;
  timeoutMs?: number;
  delayMs?: number;
}

const FINAL = new Set(['succeeded', 'failed', 'cancelled']);

/**
 * A small real load with every outcome an operator watches: demo and data jobs that succeed
 * (every priority), jobs that time out and fail, jobs that time out and retry, a delayed job
 * (promotion), mail accepted, mail deferred once (4xx, retried) and mail rejected (5xx), an
 * invalid submission (400), webhooks to a receiver on 127.0.0.1 that accepts, answers 503
 * once (retried) and refuses with 400, a report.generate job, and a schedule firing every 2 s. `rounds` repeats the job mix
 * with a pause between rounds, so rates vary over time. Resolves once every job is final and
 * the schedule fired at least twice.
 */
export async function runMixedLoad(
  system: ConveyorSystem,
  opts: { rounds?: number; pauseMs?: number } = {},
): Promise<LoadRun> {
  const rounds = opts.rounds ?? 1;
  const token = await system.token('obs-load');
  const startedAt = Date.now();
  const faults = async (rcptTo: string, code: number, times: number) => {
    const res = await fetch(`${system.smtpCatcherUrl}/api/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rcptTo, code, times, message: `injected ${code}` }),
    });
    if (!res.ok) throw new Error(`fault injection failed: ${res.status} ${await res.text()}`);
  };
  const submit = async (body: JobBody): Promise<string> => {
    const res = await system.call('/v1/jobs', token, {
      method: 'POST',
      body: JSON.stringify(body),
    });
    if (res.status !== 202)
      throw new Error(`submit ${body.type}: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { id: string }).id;
  };

  const secretRes = await system.call('/v1/webhooks/secret', token, { method: 'POST' });
  if (secretRes.status !== 201 && secretRes.status !== 409)
    throw new Error(`webhook secret: ${secretRes.status} ${await secretRes.text()}`);
  const receiver = await startReceiver();

  const scheduleRes = await system.call('/v1/schedules', token, {
    method: 'POST',
    body: JSON.stringify({
      name: 'obs every 2 s',
      cron: '*/2 * * * * *',
      job: { type: 'demo.count', payload: { to: 2, delayMs: 0 } },
    }),
  });
  if (scheduleRes.status !== 201)
    throw new Error(`schedule: ${scheduleRes.status} ${await scheduleRes.text()}`);
  const scheduleId = ((await scheduleRes.json()) as { id: string }).id;

  const ids: string[] = [];
  const priorities = ['low', 'normal', 'high', 'urgent'];
  for (let round = 0; round < rounds; round++) {
    const tag = `${round}-${Date.now()}`;
    await faults(`rejected-${tag}@example.com`, 550, 1);
    await faults(`deferred-${tag}@example.com`, 451, 1);
    const bodies: JobBody[] = [
      ...Array.from({ length: 12 }, (_, i) => ({
        type: 'demo.count',
        payload: { to: 3, delayMs: 20 + (i % 4) * 30 },
        priority: priorities[i % 4]!,
      })),
      ...Array.from({ length: 3 }, (_, i) => ({
        type: 'data.process',
        payload: {
          source: {
            records: Array.from({ length: 50 + i * 25 }, (_, n) => ({ n, even: n % 2 === 0 })),
          },
          steps: [{ op: 'filter', where: [{ field: 'even', eq: true }] }],
          output: { format: 'csv' },
        },
      })),
      // times out on every attempt: one fails at once, one retries then fails
      { type: 'demo.count', payload: { to: 50, delayMs: 20 }, timeoutMs: 150, maxAttempts: 1 },
      { type: 'demo.count', payload: { to: 50, delayMs: 20 }, timeoutMs: 150, maxAttempts: 2 },
      { type: 'demo.count', payload: { to: 1, delayMs: 0 }, delayMs: 1500 },
      ...Array.from({ length: 4 }, (_, i) => ({
        type: 'email.send',
        payload: { to: [`ok-${i}-${tag}@example.com`], subject: `obs ${tag} ${i}`, text: 'hello' },
      })),
      {
        type: 'email.send',
        payload: { to: [`deferred-${tag}@example.com`], subject: `deferred ${tag}`, text: 'later' },
      },
      {
        type: 'email.send',
        payload: { to: [`rejected-${tag}@example.com`], subject: `rejected ${tag}`, text: 'never' },
      },
      ...['ok', 'ok', 'flaky', 'bad'].map((kind, i) => ({
        type: 'webhook.deliver',
        payload: { url: `${receiver.url}/${kind}/${tag}/${i}`, body: { round, i } },
      })),
      {
        type: 'report.generate',
        payload: { title: `obs report ${tag}`, source: { jobStats: { periodDays: 1 } } },
      },
    ];
    for (const body of bodies) ids.push(await submit(body));
    // an invalid submission: the API answers 400 (counted in the RED metrics)
    const bad = await system.call('/v1/jobs', token, {
      method: 'POST',
      body: JSON.stringify({ type: 'demo.count', payload: { to: -1 } }),
    });
    if (bad.status !== 400) throw new Error(`invalid submit answered ${bad.status}`);
    if (round < rounds - 1) await new Promise((r) => setTimeout(r, opts.pauseMs ?? 3000));
  }

  const statuses: Record<string, string> = {};
  try {
    await waitFor(
      async () => {
        for (const id of ids) {
          if (FINAL.has(statuses[id] ?? '')) continue;
          const res = await system.call(`/v1/jobs/${id}`, token);
          statuses[id] = ((await res.json()) as { status: string }).status;
        }
        return ids.every((id) => FINAL.has(statuses[id]!));
      },
      { timeoutMs: 120_000, intervalMs: 500, what: 'every load job final' },
    );
  } finally {
    await receiver.close();
  }
  await waitFor(
    async () => {
      const res = await system.call(`/v1/jobs?limit=100`, token);
      const body = (await res.json()) as {
        items: Array<{ scheduleId: string | null; status: string }>;
      };
      return (
        body.items.filter((j) => j.scheduleId === scheduleId && j.status === 'succeeded').length >=
        2
      );
    },
    { timeoutMs: 60_000, intervalMs: 500, what: 'the schedule fired twice' },
  );
  return { startedAt, finishedAt: Date.now(), rounds, jobIds: ids, scheduleId, statuses };
}

/**
 * A webhook receiver on 127.0.0.1: `/ok/...` answers 200, `/flaky/...` 503 the first time
 * (the job retries) and 200 after, `/bad/...` 400 (the job fails at once).
 */
async function startReceiver(): Promise<{ url: string; close(): Promise<void> }> {
  const seen = new Set<string>();
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const path = req.url ?? '/';
      if (path.startsWith('/bad/')) res.writeHead(400).end('unknown event');
      else if (path.startsWith('/flaky/') && !seen.has(path)) {
        seen.add(path);
        res.writeHead(503).end('later');
      } else res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
