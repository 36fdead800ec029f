import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitFor } from '@conveyor/testkit';
import { startDashboardStack, type DashboardStack } from '../testing/dashboard-stack.js';
import { storedJob } from '../testing/stored-job.js';

/**
 * The operator's console additions in Chromium: the development sign-in link, queue wait and
 * run time, per-type figures, and the small things (long errors, wide payloads, disabled
 * schedules, unnamed workflows). axe-clean, screenshots in docs/screenshots/.
 */

let s: DashboardStack;
/** A webhook receiver that refuses everything with a 422 and a reason. */
let receiver: Server;
let receiverUrl = '';

beforeAll(async () => {
  receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () =>
      res.writeHead(422, { 'content-type': 'text/plain' }).end('invoice unknown'),
    );
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  // n.b. the processor may reach this test's own receiver on loopback; at debug it logs each
  // job it leaves queued for a pause
  s = await startDashboardStack({ WEBHOOK_ALLOW_CIDRS: '127.0.0.1/32', LOG_LEVEL: 'debug' });
}, 120_000);

afterAll(async () => {
  await s?.close();
  await new Promise((resolve) => receiver?.close(resolve));
});

async function submitAndFinish(body: unknown): Promise<string> {
  const res = await s.call<{ id: string }>('alice', '/v1/jobs', {
    method: 'POST',
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(202);
  await waitFor(
    async () =>
      (await s.call<{ status: string }>('alice', `/v1/jobs/${res.body.id}`)).body.status ===
      'succeeded',
    { timeoutMs: 30_000, what: 'the job to succeed' },
  );
  return res.body.id;
}

describe('the console in Chromium', () => {
  it('signs a tab in from the development sign-in link and takes the token out of the URL', async () => {
    const page = await s.browser.newPage();
    await page.goto(`${s.base}/ui/#/sign-in?token=${s.tokens.alice}`);
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    expect(await page.getByTestId('who').innerText()).toBe('alice');
    expect(page.url()).not.toContain('token=');
    expect(await s.scan(page, 'signed-in-by-link')).toEqual([]);
    // n.b. the session is the tab's, as with a pasted token: a reload stays signed in
    await page.reload();
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    await page.close();
  });

  it('shows queue wait and run time in the jobs list and on the job page', async () => {
    const id = await submitAndFinish({ type: 'demo.count', payload: { to: 4, delayMs: 150 } });
    const job = (await s.call<{ queueWaitMs: number; runMs: number }>('alice', `/v1/jobs/${id}`))
      .body;
    expect(job.queueWaitMs).toBeGreaterThanOrEqual(0);
    expect(job.runMs).toBeGreaterThanOrEqual(450);

    const page = await s.signIn('alice');
    await s.open(page, '/jobs');
    const row = page.locator(`tr[data-job-id="${id}"]`);
    await row.waitFor();
    const headers = await page.locator('thead th').allInnerTexts();
    const cells = await row.locator('td').allInnerTexts();
    const cell = (name: string) => cells[headers.indexOf(name)] ?? '';
    expect(cell('Queue wait')).toMatch(/^\d+ (ms|s)$/);
    expect(cell('Run time')).toMatch(/^\d+ (ms|s)$/);
    expect(await s.scan(page, 'jobs-durations')).toEqual([]);

    await s.open(page, `/jobs/${id}`);
    const facts = page.locator('dl.facts');
    await facts.getByText('Run time').waitFor();
    const text = await facts.innerText();
    expect(text).toMatch(/Queue wait\s+\d+ (ms|s)/);
    expect(text).toMatch(/Run time\s+\d+ (ms|s)/);
    await page.close();
  });

  it('shows per-type figures over a chosen window, each owner only their own', async () => {
    await s.stack.deps.repo.model.collection.insertMany([
      storedJob({ owner: 'alice', type: 'email.send', runMs: 200 }),
      storedJob({ owner: 'alice', type: 'email.send', runMs: 400, status: 'failed', attempts: 3 }),
      storedJob({ owner: 'alice', type: 'email.send', runMs: 300, agoMs: 3 * 3_600_000 }),
    ]);
    const page = await s.signIn('alice');
    await s.open(page, '/types');
    const row = page.locator('tr[data-type="email.send"]');
    await row.waitFor();
    const headers = await page.locator('thead th').allInnerTexts();
    const cells = [
      await row.locator('th').innerText(),
      ...(await row.locator('td').allInnerTexts()),
    ];
    const cell = (name: string) => cells[headers.indexOf(name)] ?? '';
    expect([cell('Succeeded'), cell('Failed'), cell('Retries')]).toEqual(['1', '1', '2']);
    expect(cell('Failure rate')).toBe('50.0 %');
    expect(cell('Run p50')).toBe('200 ms');
    expect(cell('Run p95')).toBe('400 ms');
    await page.locator('tr[data-type="demo.count"]').waitFor();
    expect(await s.scan(page, 'job-types')).toEqual([]);

    await page.getByLabel('Window').selectOption('24h');
    await waitFor(async () => (await row.locator('td').first().innerText()) === '2', {
      timeoutMs: 10_000,
      what: 'the 24 h figures',
    });
    await page.close();

    const bob = await s.signIn('bob');
    await s.open(bob, '/types');
    await bob.getByText('No job ended in the last hour.').waitFor();
    await bob.close();
  });

  it('keeps a long error to two lines in the list and wraps a wide payload on the job page', async () => {
    const long = `upstream said: ${'the receiver refused the request because '.repeat(30)}`;
    const failed = storedJob({
      owner: 'alice',
      status: 'failed',
      payload: { to: 1, note: 'x'.repeat(3000) },
      error: { code: 'WEBHOOK_REJECTED', message: long, retryable: false },
    });
    await s.stack.deps.repo.model.collection.insertOne(failed);
    const id = failed._id.toHexString();
    const page = await s.signIn('alice');
    await s.open(page, '/jobs?status=failed');
    const row = page.locator(`tr[data-job-id="${id}"]`);
    await row.waitFor();
    const box = await row.boundingBox();
    expect(box?.height).toBeLessThan(90);
    expect(await row.locator('.error-cell .clamp').getAttribute('title')).toContain(long.trim());

    await s.open(page, `/jobs/${id}`);
    const payload = page.getByLabel('Payload JSON');
    await payload.waitFor();
    const overflow = await payload.evaluate((el) => el.scrollWidth - el.clientWidth);
    expect(overflow).toBeLessThanOrEqual(1);
    const pageOverflow = await page.evaluate<number>(
      'document.documentElement.scrollWidth - window.innerWidth',
    );
    expect(pageOverflow).toBeLessThanOrEqual(0);
    expect(await s.scan(page, 'job-detail-long-error')).toEqual([]);
    await page.close();
  });

  it('says a disabled schedule does not fire, and names an unnamed workflow by its steps', async () => {
    const created = await s.call<{ id: string }>('alice', '/v1/schedules', {
      method: 'POST',
      body: JSON.stringify({
        name: 'paused tally',
        cron: '*/5 * * * *',
        enabled: false,
        job: { type: 'demo.count', payload: { to: 1 } },
      }),
    });
    expect(created.status).toBe(201);
    const wf = await s.call<{ id: string }>('alice', '/v1/workflows', {
      method: 'POST',
      body: JSON.stringify({
        workflow: {
          chain: [
            { type: 'demo.count', payload: { to: 1 } },
            { type: 'demo.count', payload: { to: 1 } },
          ],
        },
      }),
    });
    expect(wf.status).toBe(202);

    const page = await s.signIn('alice');
    await s.open(page, `/schedules/${created.body.id}`);
    await page.getByText('Disabled: it fires again once it is enabled.').waitFor();
    expect(await s.scan(page, 'schedule-disabled')).toEqual([]);

    await s.open(page, '/workflows');
    const link = page.locator(`tr[data-workflow-id="${wf.body.id}"] a`);
    await link.waitFor();
    expect(await link.innerText()).toContain('Unnamed chain of demo.count');
    await page.close();
  });

  it("keeps each attempt's log lines and error stack, for the owner only, on the job page", async () => {
    expect((await s.call('alice', '/v1/webhooks/secret', { method: 'POST' })).status).toBe(201);
    const submitted = await s.call<{ id: string }>('alice', '/v1/jobs', {
      method: 'POST',
      body: JSON.stringify({
        type: 'webhook.deliver',
        payload: { url: receiverUrl, body: { type: 'invoice.paid' } },
      }),
    });
    expect(submitted.status).toBe(202);
    const id = submitted.body.id;
    await waitFor(
      async () =>
        (await s.call<{ status: string }>('alice', `/v1/jobs/${id}`)).body.status === 'failed',
      { timeoutMs: 30_000, what: 'the webhook job to fail' },
    );
    interface Attempts {
      items: {
        attempt: number;
        lines: { level: string; msg: string; fields?: string }[];
        error: { stack: string | null } | null;
      }[];
    }
    const mine = await s.call<Attempts>('alice', `/v1/jobs/${id}/attempts`);
    expect(mine.status).toBe(200);
    const [first] = mine.body.items;
    expect(first?.attempt).toBe(1);
    expect(first?.lines.map((l) => [l.level, l.msg])).toContainEqual(['info', 'webhook answered']);
    expect(first?.lines.find((l) => l.msg === 'webhook answered')?.fields).toContain(
      '"status":422',
    );
    expect(first?.error?.stack).toMatch(/422[\s\S]*\n\s+at /);
    expect((await s.call('bob', `/v1/jobs/${id}/attempts`)).status).toBe(404);
    expect((await s.call('admin', `/v1/jobs/${id}/attempts`)).status).toBe(200);

    const page = await s.signIn('alice');
    await s.open(page, `/jobs/${id}`);
    const log = page.getByRole('list', { name: 'Log of attempt 1' });
    await log.waitFor();
    expect(await log.innerText()).toContain('webhook answered');
    expect(await page.getByLabel('Error of attempt 1').innerText()).toMatch(/\n\s+at /);
    expect(await s.scan(page, 'job-attempts')).toEqual([]);
    await page.close();
  });

  it("shows a queued job's position among its type's queued jobs, with an ETA", async () => {
    // n.b. stored straight away with no dispatch: no worker takes them, they stay queued
    const waiting = (owner: string, agoMs: number) =>
      storedJob({ owner, type: 'data.process', status: 'queued', agoMs });
    const mine = waiting('alice', 1_000);
    await s.stack.deps.repo.model.collection.insertMany([
      waiting('bob', 30_000),
      waiting('bob', 20_000),
      waiting('alice', 10_000),
      mine,
      storedJob({ owner: 'bob', type: 'data.process', agoMs: 30_000 }),
    ]);
    const id = mine._id.toHexString();
    const page = await s.signIn('alice');
    await s.open(page, `/jobs/${id}`);
    const standing = page.getByTestId('queue-position');
    await standing.waitFor();
    expect(await standing.innerText()).toMatch(
      /^Position 4 of data\.process in the standard lane, about \d+ (s|min \d+ s) at the current rate \(0\.2 finished per minute\)\.$/,
    );
    expect(await s.scan(page, 'job-queue-position')).toEqual([]);
    await page.close();
  });

  it('retries every failed job a filter matches, after showing the count and asking', async () => {
    const failed = () =>
      storedJob({
        owner: 'alice',
        type: 'report.generate',
        status: 'failed',
        payload: { title: 'q3', source: { jobStats: { periodDays: 1 } } },
        error: { code: 'REPORT_SOURCE', message: 'no data', retryable: false },
      });
    const docs = [failed(), failed(), failed()];
    await s.stack.deps.repo.model.collection.insertMany(docs);
    const page = await s.signIn('alice');
    await s.open(page, '/jobs');
    await page.getByLabel('Status').selectOption('failed');
    await page.getByLabel('Type').last().selectOption('report.generate');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.locator(`tr[data-job-id="${docs[0]!._id.toHexString()}"]`).waitFor();
    await page.getByRole('button', { name: 'Retry all matching…' }).click();
    const dialog = page.getByRole('alertdialog');
    await dialog.getByText('3 jobs match these filters. Retry all of them?').waitFor();
    expect(await s.scan(page, 'jobs-bulk-confirm')).toEqual([]);
    await dialog.getByRole('button', { name: 'Retry 3 jobs' }).click();
    await page.getByText('Retried 3 jobs.').waitFor();
    for (const d of docs) {
      const now = await s.call<{ status: string; attempts: number }>(
        'alice',
        `/v1/jobs/${d._id.toHexString()}`,
      );
      expect(now.body.status).not.toBe('failed');
    }
    await page.close();
  });

  it('finds jobs by a payload field and value, or by words, within the owner', async () => {
    const submit = async (who: 'alice' | 'bob', to: string, subject: string) => {
      const res = await s.call<{ id: string }>(who, '/v1/jobs', {
        method: 'POST',
        body: JSON.stringify({
          type: 'email.send',
          payload: { to: [to], subject, text: 'Hello' },
          delayMs: 3_600_000,
        }),
      });
      expect(res.status).toBe(202);
      return res.body.id;
    };
    const carol = await submit('alice', 'Carol@Example.com', 'Invoice 2026-17 overdue');
    const dan = await submit('alice', 'dan@example.com', 'Quarterly invoice');
    const bobs = await submit('bob', 'carol@example.com', 'Invoice for Bob');
    const page = await s.signIn('alice');
    await s.open(page, '/jobs');
    const rows = () =>
      page
        .locator('tbody tr')
        .evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-job-id')));
    await page.locator('#f-field').fill('to');
    await page.locator('#f-value').fill('carol@example.com');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await waitFor(async () => JSON.stringify(await rows()) === JSON.stringify([carol]), {
      timeoutMs: 10_000,
      what: "only alice's job to carol listed",
    });
    expect(await s.scan(page, 'jobs-payload-search')).toEqual([]);

    await page.locator('#f-field').fill('');
    await page.locator('#f-value').fill('');
    await page.locator('#f-text').fill('INVOICE');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await waitFor(async () => JSON.stringify(await rows()) === JSON.stringify([dan, carol]), {
      timeoutMs: 10_000,
      what: "alice's two invoice jobs listed, newest first",
    });
    expect(await rows()).not.toContain(bobs);

    // a path without a value: the API's field error is shown
    await page.locator('#f-text').fill('');
    await page.locator('#f-field').fill('to');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByText(/value: is required with field/).waitFor();
    await page.close();
  });

  it('pauses a job type fleet-wide (its job waits, no attempt spent) and resumes it (admin)', async () => {
    const refused = await s.call('bob', '/v1/job-types/demo.count/pause', { method: 'POST' });
    expect(refused.status).toBe(403);
    const admin = await s.signIn('admin');
    await s.open(admin, '/types');
    await admin.getByLabel('Type to pause').selectOption('demo.count');
    await admin.getByRole('button', { name: 'Pause type' }).click();
    await admin.getByText('Paused demo.count: its jobs wait until it is resumed.').waitFor();
    try {
      // n.b. a worker rereads the paused types at most a second later
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const submitted = await s.call<{ id: string }>('alice', '/v1/jobs', {
        method: 'POST',
        body: JSON.stringify({ type: 'demo.count', payload: { to: 1 } }),
      });
      expect(submitted.status).toBe(202);
      const id = submitted.body.id;
      await new Promise((resolve) => setTimeout(resolve, 2500));
      const held = await s.call<{ status: string; attempts: number }>('alice', `/v1/jobs/${id}`);
      expect([held.body.status, held.body.attempts]).toEqual(['queued', 0]);

      const row = admin.locator('tr[data-paused-type="demo.count"]');
      await waitFor(async () => Number(await row.locator('td.num').innerText()) >= 1, {
        timeoutMs: 10_000,
        what: 'the waiting count',
      });
      expect(await s.scan(admin, 'job-types-paused')).toEqual([]);
      await admin.getByRole('button', { name: 'Resume demo.count' }).click();
      await admin.getByText(/^Resumed demo\.count; \d+ waiting jobs dispatched again\.$/).waitFor();
      await waitFor(
        async () =>
          (await s.call<{ status: string }>('alice', `/v1/jobs/${id}`)).body.status === 'succeeded',
        { timeoutMs: 30_000, what: 'the held job to run after the resume' },
      );
      const done = await s.call<{ attempts: number }>('alice', `/v1/jobs/${id}`);
      expect(done.body.attempts).toBe(1);
    } finally {
      await s.call('admin', '/v1/job-types/demo.count/pause', { method: 'DELETE' });
      await admin.close();
    }
  });

  it("shows each type's fleet-wide limits, running vs limit and waiting, and lets an admin change them", async () => {
    const admin = await s.signIn('admin');
    try {
      await s.open(admin, '/types');
      const row = admin.locator('tr[data-limits-type="demo.count"]');
      await row.waitFor();
      expect(await row.locator('td').first().innerText()).toBe('none');
      expect(await admin.getByRole('button', { name: 'Edit limits of demo.count' }).count()).toBe(
        1,
      );
      await admin.getByRole('button', { name: 'Edit limits of demo.count' }).click();
      await admin
        .getByLabel('Limits of demo.count (JSON)')
        .fill('{"concurrency":3,"perOwner":{"rate":{"limit":10,"periodMs":1000}}}');
      await admin.getByRole('button', { name: 'Apply' }).click();
      await admin
        .getByText('Limits of demo.count changed; every worker applies them within a second.')
        .waitFor();
      await waitFor(
        async () => (await row.innerText()).includes('concurrency 3; per owner: rate 10 / 1 s'),
        { timeoutMs: 10_000, what: 'the new limits in the table' },
      );
      const cells = await row.locator('td').allInnerTexts();
      expect(cells.slice(1, 5)).toEqual(['override', '0 / 3', '0', '0']);
      expect(await s.scan(admin, 'job-types-limits')).toEqual([]);
      // a bad limit is refused, naming the field
      await admin.getByRole('button', { name: 'Edit limits of demo.count' }).click();
      await admin.getByLabel('Limits of demo.count (JSON)').fill('{"concurrency":0}');
      await admin.getByRole('button', { name: 'Apply' }).click();
      await admin
        .getByText(/concurrency/)
        .first()
        .waitFor();
      await admin.getByRole('button', { name: 'Cancel' }).click();
      await admin.getByRole('button', { name: 'Reset demo.count' }).click();
      await admin.getByText("demo.count is back to its definition's limits.").waitFor();
      await waitFor(async () => (await row.locator('td').first().innerText()) === 'none', {
        timeoutMs: 10_000,
        what: 'the limits reset',
      });
      // owners see the limits, not the buttons
      const alice = await s.signIn('alice');
      await s.open(alice, '/types');
      await alice.locator('tr[data-limits-type="demo.count"]').waitFor();
      expect(await alice.getByRole('button', { name: /Edit limits/ }).count()).toBe(0);
      await alice.close();
    } finally {
      await s.call('admin', '/v1/job-types/demo.count/limits', { method: 'DELETE' });
      await admin.close();
    }
  });

  it('pauses a queue from the Queues page (its job waits, no attempt spent) and resumes it (admin)', async () => {
    const refused = await s.call('bob', '/v1/queues/processor/pause', { method: 'POST' });
    expect(refused.status).toBe(403);
    // owners see each queue's state, not the buttons
    const bob = await s.signIn('bob');
    await s.open(bob, '/queues');
    await bob.locator('tr[data-queue-pause="processor"]').getByText('active').waitFor();
    expect(await bob.getByRole('button', { name: /^(Pause|Resume) / }).count()).toBe(0);
    await bob.close();

    const admin = await s.signIn('admin');
    await s.open(admin, '/queues');
    const row = admin.locator('tr[data-queue-pause="processor"]');
    await row.getByText('active').waitFor();
    await admin.getByRole('button', { name: 'Pause processor' }).click();
    await admin.getByText('Paused queue processor: its jobs wait until it is resumed.').waitFor();
    try {
      await row.getByText('paused', { exact: true }).waitFor();
      // n.b. a worker rereads the pauses at most a second later
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const submitted = await s.call<{ id: string }>('alice', '/v1/jobs', {
        method: 'POST',
        body: JSON.stringify({ type: 'demo.count', payload: { to: 1 } }),
      });
      expect(submitted.status).toBe(202);
      const id = submitted.body.id;
      // the processor was handed the job and left it queued
      await waitFor(
        () =>
          s.processor.lines.some((l) => l.includes('"job left queued: paused"') && l.includes(id)),
        { timeoutMs: 30_000, what: `the processor leaving ${id} queued for the pause` },
      );
      const held = await s.call<{ status: string; attempts: number }>('alice', `/v1/jobs/${id}`);
      expect([held.body.status, held.body.attempts]).toEqual(['queued', 0]);

      await waitFor(async () => Number(await row.getByTestId('waiting').innerText()) >= 1, {
        timeoutMs: 10_000,
        what: 'the waiting count',
      });
      expect(await row.locator('td').nth(3).innerText()).toBe('ops');
      expect(await s.scan(admin, 'queues-paused')).toEqual([]);
      await admin.getByRole('button', { name: 'Resume processor' }).click();
      await admin
        .getByText(/^Resumed queue processor; \d+ waiting jobs dispatched again\.$/)
        .waitFor();
      await row.getByText('active').waitFor();
      await waitFor(
        async () =>
          (await s.call<{ status: string }>('alice', `/v1/jobs/${id}`)).body.status === 'succeeded',
        { timeoutMs: 30_000, what: 'the held job to run after the resume' },
      );
      const done = await s.call<{ attempts: number }>('alice', `/v1/jobs/${id}`);
      expect(done.body.attempts).toBe(1);
    } finally {
      await s.call('admin', '/v1/queues/processor/pause', { method: 'DELETE' });
      await admin.close();
    }
  });

  it('ran under the strict Content-Security-Policy without a violation', () => {
    expect(s.browser.cspViolations).toEqual([]);
  });
});
