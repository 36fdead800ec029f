import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import {
  infra,
  mongoUrlForDb,
  startService,
  waitFor,
  type ServiceProcess,
} from '@conveyor/testkit';
import {
  screenshotDir,
  seriousA11yViolations,
  startBrowser,
  type TestBrowser,
} from '../testing/browser.js';
import { startTestApi, TEST_JWT_SECRET, type TestApi } from '../testing/test-api.js';

// The dashboard in a real Chromium against a running system: an API process serving /ui, a
// processor and a scheduler, all on this test's own prefix and database. The in-process test
// API shares them to sign tokens, seed data and clean up.
let stack: TestApi;
let api: ServiceProcess;
let processor: ServiceProcess;
let scheduler: ServiceProcess;
let browser: TestBrowser;
let base: string;
const tokens: Record<'alice' | 'bob' | 'admin', string> = { alice: '', bob: '', admin: '' };
let alicePage: Page;
let apiEnv: Record<string, string>;
const shots = screenshotDir();

interface Job {
  id: string;
  status: string;
}

async function submitAs(who: 'alice' | 'bob', body: unknown): Promise<Job> {
  const res = await stack.call('/v1/jobs', tokens[who], {
    method: 'POST',
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(202);
  return (await res.json()) as Job;
}

async function jobStatus(id: string): Promise<string> {
  const res = await stack.call(`/v1/jobs/${id}`, tokens.admin);
  return ((await res.json()) as Job).status;
}

/** Signs a new tab in with `token` and waits for the overview. */
async function signIn(token: string): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(`${base}/ui/`);
  await page.getByLabel('Bearer token (JWT)').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
  return page;
}

/** axe-core finds no serious or critical violation, then the view is saved as a screenshot. */
async function checkView(page: Page, name: string): Promise<void> {
  const violations = await seriousA11yViolations(page);
  expect({ view: name, violations }).toEqual({ view: name, violations: [] });
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

/** Opens a route of the app afresh (a reload: view state is reset, the tab's token kept). */
async function open(page: Page, route: string): Promise<void> {
  await page.goto(`${base}/ui/#${route}`);
  await page.reload();
}

const statusBadge = (page: Page) => page.locator('#job-title .status');

beforeAll(async () => {
  stack = await startTestApi({ RATE_LIMIT_PER_MINUTE: '0' });
  // n.b. only the API process records timelines, so its restart below is a real gap
  await stack.deps.timeline.close();
  const { rabbitmqUrl, mongoUrl, rabbitmqManagementUrl } = await infra();
  const shared = {
    RABBITMQ_URL: rabbitmqUrl,
    MONGO_URL: mongoUrlForDb(mongoUrl, stack.deps.runtime.mongo.name),
    CONVEYOR_PREFIX: stack.deps.runtime.topology.prefix,
  };
  apiEnv = {
    ...shared,
    NODE_ENV: 'test',
    JWT_SECRET: TEST_JWT_SECRET,
    RATE_LIMIT_PER_MINUTE: '0',
    ...(rabbitmqManagementUrl ? { RABBITMQ_MANAGEMENT_URL: rabbitmqManagementUrl } : {}),
  };
  [api, processor, scheduler] = await Promise.all([
    startService('api', apiEnv),
    startService('processor', { ...shared, RETRY_BASE_MS: '200', RETRY_MAX_MS: '500' }),
    startService('scheduler', { ...shared, SCAN_INTERVAL_MS: '250', DIGEST_CRON: 'off' }),
  ]);
  base = `http://127.0.0.1:${api.httpPort}`;
  tokens.alice = await stack.token({ sub: 'alice', email: 'alice@example.com' });
  tokens.bob = await stack.token({ sub: 'bob', email: 'bob@example.com' });
  tokens.admin = await stack.token({ sub: 'ops', roles: ['admin'] });
  browser = await startBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all([api, processor, scheduler].map((p) => p?.stop('SIGTERM')));
  await stack?.close();
});

describe('dashboard in Chromium', () => {
  it('signs alice in with a token, telling how to get one', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/ui/`);
    expect(await page.locator('.hint').innerText()).toContain(
      'pnpm -s token --sub alice --email alice@example.com',
    );
    await checkView(page, 'sign-in');
    await page.getByLabel('Bearer token (JWT)').fill('not-a-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').innerText()).toContain('not a JWT');
    await page.close();

    alicePage = await signIn(tokens.alice);
    expect(await alicePage.getByTestId('who').innerText()).toBe('alice');
  });

  it('submits a job from the page and shows its progress moving live', async () => {
    const page = alicePage;
    await page.getByRole('link', { name: 'Jobs' }).click();
    await page.getByText('Submit a job').click();
    // the form starts from the type's example in the catalogue
    await page.getByLabel('Type').first().selectOption('email.send');
    expect(await page.getByLabel('Payload (JSON)').inputValue()).toContain('ann@example.com');
    await page.getByLabel('Type').first().selectOption('demo.count');
    await page.getByLabel('Payload (JSON)').fill('{"to": 40, "delayMs": 150}');
    await page.getByRole('button', { name: 'Submit job' }).click();
    await page.waitForURL(/#\/jobs\/[a-f0-9]{24}$/);
    const percent = page.getByTestId('progress-percent');
    const read = async () => Number((await percent.innerText()).replace('%', ''));
    let first = 0;
    await waitFor(async () => (first = await read()) > 0 && first < 100, {
      timeoutMs: 30_000,
      intervalMs: 100,
      what: 'progress above 0%',
    });
    await waitFor(async () => (await read()) > first, {
      timeoutMs: 30_000,
      intervalMs: 100,
      what: `progress beyond ${first}%`,
    });
    await waitFor(async () => (await statusBadge(page).innerText()) === 'succeeded', {
      timeoutMs: 30_000,
      what: 'succeeded badge',
    });
    expect(await read()).toBe(100);
    await waitFor(
      async () => (await page.getByLabel('Result JSON').innerText()).includes('"counted": 40'),
      { timeoutMs: 15_000, what: 'the result on the page' },
    );
    const timeline = page.getByRole('list', { name: 'Timeline' });
    await waitFor(async () => (await timeline.innerText()).includes('Succeeded on attempt 1'), {
      timeoutMs: 15_000,
      what: 'the outcome in the timeline',
    });
    await checkView(page, 'job-detail');
  });

  it('downloads a job’s artifact from its page', async () => {
    const job = await submitAs('alice', {
      type: 'data.process',
      payload: {
        source: { records: [{ city: 'Oslo', n: '1' }] },
        steps: [],
        output: { format: 'csv' },
      },
    });
    await waitFor(async () => (await jobStatus(job.id)) === 'succeeded', {
      timeoutMs: 30_000,
      what: 'data.process succeeded',
    });
    const page = alicePage;
    await page.goto(`${base}/ui/#/jobs/${job.id}`);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download artifact' }).click(),
    ]);
    const path = await download.path();
    expect(await readFile(path, 'utf8')).toBe('city,n\r\nOslo,1\r\n');
  });

  it('cancels a running job from its page', async () => {
    const job = await submitAs('alice', { type: 'demo.count', payload: { to: 600, delayMs: 100 } });
    await waitFor(async () => (await jobStatus(job.id)) === 'running', {
      timeoutMs: 30_000,
      what: 'job running',
    });
    const page = alicePage;
    await page.goto(`${base}/ui/#/jobs/${job.id}`);
    await waitFor(async () => (await statusBadge(page).innerText()) === 'running', {
      timeoutMs: 15_000,
      what: 'running badge',
    });
    await page.getByRole('button', { name: 'Cancel job' }).click();
    await waitFor(async () => (await statusBadge(page).innerText()) === 'cancelled', {
      timeoutMs: 30_000,
      what: 'cancelled badge',
    });
    expect(await jobStatus(job.id)).toBe('cancelled');
  });

  it('shows a failed job’s timeline (attempts, workers, backoff) and retries it', async () => {
    // Times out on every attempt: attempt 1, a retry after backoff, attempt 2, failed.
    const job = await submitAs('alice', {
      type: 'demo.count',
      payload: { to: 100, delayMs: 100 },
      timeoutMs: 300,
      maxAttempts: 2,
    });
    await waitFor(async () => (await jobStatus(job.id)) === 'failed', {
      timeoutMs: 60_000,
      what: 'job failed',
    });
    const page = alicePage;
    await page.goto(`${base}/ui/#/jobs/${job.id}`);
    const timeline = page.getByRole('list', { name: 'Timeline' });
    await waitFor(async () => (await timeline.innerText()).includes('Failed on attempt 2'), {
      timeoutMs: 15_000,
      what: 'timeline with the failure',
    });
    const workers = (await (await stack.call('/v1/workers', tokens.alice)).json()) as {
      items: { workerId: string; pid: number }[];
    };
    const worker = workers.items.find((w) => w.pid === processor.child.pid)!.workerId;
    const text = await timeline.innerText();
    expect(text).toContain(`Attempt 1 started on ${worker}`);
    expect(text).toMatch(/Attempt 1 failed \(TIMEOUT: .*\); retry in \d+ ms, at /);
    expect(text).toContain(`Attempt 2 started on ${worker}`);
    expect(await page.locator('#error-title + p').innerText()).toContain('TIMEOUT');

    await page.getByRole('button', { name: 'Retry job' }).click();
    await waitFor(async () => (await timeline.innerText()).includes('Attempt 3 started'), {
      timeoutMs: 30_000,
      what: 'attempt 3 in the timeline',
    });
  });

  it('lists jobs with filters and live updates, and retries a selection in bulk', async () => {
    // One attempt that times out: failed for good (the earlier failed job is being retried).
    const failedJob = await submitAs('alice', {
      type: 'demo.count',
      payload: { to: 100, delayMs: 100 },
      timeoutMs: 200,
      maxAttempts: 1,
    });
    await waitFor(async () => (await jobStatus(failedJob.id)) === 'failed', {
      timeoutMs: 30_000,
      what: 'job failed',
    });
    const page = alicePage;
    await open(page, '/jobs');
    await page.getByLabel('Status', { exact: true }).selectOption('failed');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.locator(`tr[data-job-id="${failedJob.id}"]`).waitFor();
    // n.b. the unfiltered page may still be shown for a moment: wait for the filtered one
    await waitFor(
      async () =>
        (await page.locator('tbody .status').allInnerTexts()).every((s) => s === 'failed'),
      { timeoutMs: 10_000, what: 'only failed jobs listed' },
    );

    // Live: a new job appears on the first page without a reload.
    await page.getByLabel('Status', { exact: true }).selectOption('');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    const live = await submitAs('alice', { type: 'demo.count', payload: { to: 1 } });
    await page.locator(`tr[data-job-id="${live.id}"] .status`, { hasText: 'succeeded' }).waitFor({
      timeout: 30_000,
    });
    const cancelled = await submitAs('alice', {
      type: 'demo.count',
      payload: { to: 1 },
      runAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    await stack.call(`/v1/jobs/${cancelled.id}/cancel`, tokens.alice, { method: 'POST' });
    await page
      .locator(`tr[data-job-id="${cancelled.id}"] .status`, { hasText: 'cancelled' })
      .waitFor({
        timeout: 30_000,
      });
    await page.getByLabel(`Select job ${cancelled.id}`).check();
    await page.getByRole('button', { name: /Retry selected/ }).click();
    await page.getByText('1 job retried.').waitFor();
    await waitFor(async () => (await jobStatus(cancelled.id)) === 'succeeded', {
      timeoutMs: 30_000,
      what: 'bulk-retried job succeeded',
    });
    await checkView(page, 'jobs');
  });

  it('keeps bob’s jobs out of alice’s view; the admin sees both and filters by owner', async () => {
    const bobs = await submitAs('bob', {
      type: 'demo.count',
      payload: { to: 1 },
      idempotencyKey: 'bob-1',
    });
    const page = alicePage;
    await open(page, '/jobs');
    await page.locator('tbody tr').first().waitFor();
    expect(await page.locator(`tr[data-job-id="${bobs.id}"]`).count()).toBe(0);
    await page.getByLabel('Search id, error or idempotency key').fill(bobs.id);
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByText('0 jobs on this page').waitFor();
    await page.goto(`${base}/ui/#/jobs/${bobs.id}`);
    await page.getByRole('heading', { name: 'Job not found' }).waitFor();

    const admin = await signIn(tokens.admin);
    await admin.getByRole('link', { name: 'Jobs' }).click();
    await admin.locator(`tr[data-job-id="${bobs.id}"]`).waitFor();
    const owners = new Set(await admin.locator('tbody tr td:nth-child(9)').allInnerTexts());
    expect([...owners].sort()).toEqual(['alice', 'bob']);
    await admin.getByLabel('Owner').fill('bob');
    await admin.getByRole('button', { name: 'Apply filters' }).click();
    await admin.getByText('1 job on this page').waitFor();
    expect(await admin.locator('tbody tr td:nth-child(9)').allInnerTexts()).toEqual(['bob']);
    await admin.close();
  });

  it('creates a schedule with a live preview of its fire times, triggers it and shows the fire', async () => {
    const page = alicePage;
    await open(page, '/schedules');
    await page.getByRole('button', { name: 'New schedule' }).click();
    await page.getByLabel('Name').fill('nightly count');
    await page.getByLabel(/^Cron/).fill('0 30 2 * * *');
    await page.getByLabel('Time zone (IANA)').fill('Asia/Tokyo');
    const preview = page.getByTestId('cron-preview');
    // 02:30 in Tokyo is 17:30 UTC (the browser runs in UTC).
    await waitFor(async () => (await preview.locator('li').allInnerTexts()).length === 5, {
      timeoutMs: 10_000,
      what: 'five fire times',
    });
    for (const t of await preview.locator('li').allInnerTexts()) expect(t).toMatch(/ 17:30:00$/);
    await checkView(page, 'schedule-form');
    await page.getByLabel(/^Cron/).fill('61 * * * *');
    await preview.locator('.error').waitFor();
    expect(await preview.innerText()).toMatch(/cron/);
    await page.getByLabel(/^Cron/).fill('0 30 2 * * *');
    await preview.locator('li').first().waitFor();
    await page.getByLabel('Job payload (JSON)').fill('{"to": 2}');
    await page.getByRole('button', { name: 'Create schedule' }).click();
    await page.getByRole('link', { name: 'nightly count' }).waitFor();
    await page.getByRole('button', { name: 'Trigger now nightly count' }).click();
    await page.getByText('Triggered nightly count.').waitFor();
    await page.getByRole('button', { name: 'Disable nightly count' }).click();
    await page.getByRole('button', { name: 'Enable nightly count' }).waitFor();
    await page.getByRole('button', { name: 'Enable nightly count' }).click();
    await page.getByRole('button', { name: 'Disable nightly count' }).waitFor();
    await checkView(page, 'schedules');

    await page.getByRole('link', { name: 'nightly count' }).click();
    await page.getByRole('heading', { name: 'Recent fires' }).waitFor();
    await page.locator('tbody tr .status', { hasText: 'succeeded' }).waitFor({ timeout: 30_000 });
    await checkView(page, 'schedule-detail');
  });

  it('shows the overview with counts, the last hour and lanes', async () => {
    const page = alicePage;
    await open(page, '/');
    await page.getByRole('heading', { name: 'Last hour' }).waitFor();
    await waitFor(async () => Number(await page.getByTestId('count-succeeded').innerText()) >= 3, {
      timeoutMs: 15_000,
      what: 'succeeded count',
    });
    expect(Number(await page.getByTestId('count-failed').innerText())).toBeGreaterThanOrEqual(1);
    expect(await page.getByRole('img', { name: /Jobs finished per minute/ }).count()).toBe(1);
    await checkView(page, 'overview');
  });

  it('lets the admin requeue and discard a dead-lettered message, and drops a killed worker', async () => {
    // A message that is not JSON: the processor rejects it and the broker dead-letters it.
    await stack.deps.runtime.amqp.publish(
      stack.deps.runtime.topology.exchanges.jobs,
      'demo.count',
      Buffer.from('this is not an envelope'),
    );
    const extra = await startService('processor', {
      RABBITMQ_URL: (await infra()).rabbitmqUrl,
      MONGO_URL: mongoUrlForDb((await infra()).mongoUrl, stack.deps.runtime.mongo.name),
      CONVEYOR_PREFIX: stack.deps.runtime.topology.prefix,
    });
    const admin = await signIn(tokens.admin);
    await admin.getByRole('link', { name: 'Queues & workers' }).click();
    const row = admin.locator('tr[data-dead-letter]');
    await row.first().waitFor({ timeout: 30_000 });
    expect(await row.count()).toBe(1);
    expect(await row.locator('td').first().innerText()).toBe('rejected');
    expect(await row.innerText()).toContain('this is not an envelope');
    expect(await row.getByTestId('deaths').innerText()).toBe('1');

    const extraRow = admin.locator(`tr[data-worker-pid="${extra.child.pid}"]`);
    await extraRow.waitFor({ timeout: 30_000 });
    // The catalogue: the processor's types have live workers; the mailer's (not started in
    // this stack, seeded by the API) say that no worker was seen.
    const demoType = admin.locator('tr[data-job-type="demo.count"]');
    await demoType.locator('.status', { hasText: 'running' }).waitFor({ timeout: 30_000 });
    expect(await demoType.innerText()).toContain('processor');
    expect(await admin.locator('tr[data-job-type="email.send"] .status').innerText()).toMatch(
      /^no worker seen/,
    );
    await checkView(admin, 'queues');

    // Requeued to where it came from, the processor rejects it again: it dies a second time.
    await row.getByRole('button', { name: /Requeue/ }).click();
    await admin.getByText(/Requeued to /).waitFor();
    await waitFor(
      async () =>
        (await row
          .getByTestId('deaths')
          .innerText()
          .catch(() => '')) === '2',
      {
        timeoutMs: 30_000,
        what: 'second death after requeue',
      },
    );
    await row.getByRole('button', { name: /Discard/ }).click();
    await admin.getByText('0 messages (showing 0)').waitFor({ timeout: 15_000 });

    // A worker killed without a goodbye is shown gone, then removed.
    extra.child.kill('SIGKILL');
    await extraRow.locator('.status', { hasText: 'gone' }).waitFor({ timeout: 60_000 });
    await extraRow.waitFor({ state: 'detached', timeout: 90_000 });
    expect(await admin.locator(`tr[data-worker-pid="${processor.child.pid}"]`).count()).toBe(1);
    await admin.close();
  });

  it('keeps jobs and timelines across an API restart, with the events of the downtime', async () => {
    const before = await submitAs('alice', { type: 'demo.count', payload: { to: 2 } });
    await waitFor(async () => (await jobStatus(before.id)) === 'succeeded', {
      timeoutMs: 30_000,
      what: 'a job before the restart succeeded',
    });
    const port = api.httpPort;
    await api.stop('SIGTERM');
    // While no API process runs: a job goes through the processor from start to end.
    const during = await submitAs('alice', { type: 'demo.count', payload: { to: 3 } });
    await waitFor(async () => (await jobStatus(during.id)) === 'succeeded', {
      timeoutMs: 30_000,
      what: 'a job during the downtime succeeded',
    });
    // Same port, same origin: the tab keeps its session.
    api = await startService('api', { ...apiEnv, PORT: String(port) });
    const page = alicePage;
    for (const job of [before, during]) {
      await page.goto(`${base}/ui/#/jobs/${job.id}`);
      await page.reload();
      const timeline = page.getByRole('list', { name: 'Timeline' });
      await waitFor(
        async () => {
          const text = await timeline.innerText();
          return (
            text.includes('Queued for a worker') &&
            text.includes('Attempt 1 started on ') &&
            text.includes('Succeeded on attempt 1')
          );
        },
        { timeoutMs: 30_000, what: `the whole timeline of ${job.id} after the restart` },
      );
    }
    await open(page, '/jobs');
    await page.locator(`tr[data-job-id="${before.id}"]`).waitFor();
    await page.locator(`tr[data-job-id="${during.id}"]`).waitFor();
  });

  it('ran under the strict Content-Security-Policy without a violation', () => {
    expect(browser.cspViolations).toEqual([]);
  });
});
