import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import { waitFor } from '@conveyor/testkit';
import { startDashboardStack, type DashboardStack } from '../testing/dashboard-stack.js';

// Browser paths of the jobs and schedules views beyond the main dashboard suite: the type
// filter, cursor paging, bulk cancel, delete from a job's page, editing a schedule's cron.
let s: DashboardStack;
let alice: Page;

interface Job {
  id: string;
  type: string;
  status: string;
}

async function submit(body: unknown): Promise<Job> {
  const res = await s.call<Job>('alice', '/v1/jobs', {
    method: 'POST',
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(202);
  return res.body;
}
const status = async (id: string) => (await s.call<Job>('alice', `/v1/jobs/${id}`)).body.status;
const rowIds = (page: Page) =>
  page
    .locator('table.jobs tbody tr')
    .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-job-id') ?? ''));
const typeFilter = (page: Page) =>
  page.getByRole('form', { name: 'Filter jobs' }).getByLabel('Type');
const later = () => new Date(Date.now() + 3_600_000).toISOString();

beforeAll(async () => {
  s = await startDashboardStack();
  alice = await s.signIn('alice');
}, 120_000);

afterAll(async () => {
  await s?.close();
});

describe('jobs and schedules views in Chromium', () => {
  // 30 jobs due in an hour: more than one page of 25, and nothing runs them meanwhile.
  const parked: Job[] = [];
  let processed: Job;

  it('filters the jobs list by type', async () => {
    processed = await submit({
      type: 'data.process',
      payload: { source: { records: [{ n: '1' }] }, steps: [], output: { format: 'csv' } },
    });
    for (let i = 0; i < 30; i++)
      parked.push(await submit({ type: 'demo.count', payload: { to: 1 }, runAt: later() }));
    await waitFor(async () => (await status(processed.id)) === 'succeeded', {
      timeoutMs: 30_000,
      what: 'data.process succeeded',
    });
    await s.open(alice, '/jobs');
    await alice.locator('table.jobs tbody tr').first().waitFor();
    // The type options come from /v1/job-types.
    await alice
      .locator('#f-type option', { hasText: 'data.process' })
      .waitFor({ state: 'attached' });
    await typeFilter(alice).selectOption('data.process');
    await alice.getByRole('button', { name: 'Apply filters' }).click();
    await alice.getByText('1 job on this page').waitFor();
    expect(await rowIds(alice)).toEqual([processed.id]);
    expect(await alice.locator('table.jobs tbody tr td:nth-child(3)').allInnerTexts()).toEqual([
      'data.process',
    ]);

    await typeFilter(alice).selectOption('demo.count');
    await alice.getByRole('button', { name: 'Apply filters' }).click();
    await alice.getByText('25 jobs on this page').waitFor();
    for (const t of await alice.locator('table.jobs tbody tr td:nth-child(3)').allInnerTexts())
      expect(t).toBe('demo.count');
  });

  it('pages through the jobs with the cursor, forward and back', async () => {
    await s.open(alice, '/jobs');
    await alice.getByText('25 jobs on this page').waitFor();
    const first = await rowIds(alice);
    // Newest first: the last parked job heads the first page.
    const newest = [...parked].reverse().map((j) => j.id);
    expect(first).toEqual(newest.slice(0, 25));
    expect(await alice.getByRole('button', { name: 'Previous page' }).isDisabled()).toBe(true);

    await alice.getByRole('button', { name: 'Next page' }).click();
    await alice.getByText('Page 2', { exact: true }).waitFor();
    await alice.getByText('6 jobs on this page').waitFor();
    const second = await rowIds(alice);
    expect(second).toEqual([...newest.slice(25), processed.id]);
    expect(await alice.getByRole('button', { name: 'Next page' }).isDisabled()).toBe(true);

    await alice.getByRole('button', { name: 'Previous page' }).click();
    await alice.getByText('Page 1', { exact: true }).waitFor();
    await alice.getByText('25 jobs on this page').waitFor();
    expect(await rowIds(alice)).toEqual(first);
  });

  it('cancels a selection of jobs in bulk', async () => {
    const picked = parked.slice(-3);
    const untouched = parked.at(-4)!;
    await s.open(alice, '/jobs');
    await alice.getByText('25 jobs on this page').waitFor();
    for (const j of picked) await alice.getByLabel(`Select job ${j.id}`).check();
    await alice.getByRole('button', { name: 'Cancel selected (3)' }).click();
    await alice.getByText('3 jobs cancelled.').waitFor();
    for (const j of picked) {
      expect(await status(j.id)).toBe('cancelled');
      await alice
        .locator(`tr[data-job-id="${j.id}"] .status`, { hasText: 'cancelled' })
        .waitFor({ timeout: 15_000 });
    }
    expect(await status(untouched.id)).toBe('scheduled');
    expect(await alice.getByRole('button', { name: 'Cancel selected (0)' }).isDisabled()).toBe(
      true,
    );
  });

  it('deletes a finished job from its page, after a confirmation', async () => {
    await s.open(alice, `/jobs/${processed.id}`);
    await alice.locator('#job-title .status', { hasText: 'succeeded' }).waitFor();
    await alice.getByRole('button', { name: 'Delete job' }).click();
    // Nothing is deleted before the confirmation.
    expect(await status(processed.id)).toBe('succeeded');
    await alice.getByRole('button', { name: 'Confirm delete' }).click();
    await alice.waitForURL(/#\/jobs$/);
    await alice.getByRole('heading', { name: 'Jobs', level: 1 }).waitFor();
    expect((await s.call('alice', `/v1/jobs/${processed.id}`)).status).toBe(404);
    await alice.locator('table.jobs tbody tr').first().waitFor();
    expect(await alice.locator(`tr[data-job-id="${processed.id}"]`).count()).toBe(0);
  });

  it('edits a schedule’s cron, previewing and then showing the saved next fire times', async () => {
    const created = await s.call<{ id: string }>('alice', '/v1/schedules', {
      method: 'POST',
      body: JSON.stringify({
        name: 'hourly tally',
        cron: '0 * * * *',
        timezone: 'UTC',
        job: { type: 'demo.count', payload: { to: 1 } },
      }),
    });
    expect(created.status).toBe(201);
    await s.open(alice, '/schedules');
    await alice.getByRole('button', { name: 'Edit hourly tally' }).click();
    await alice.getByRole('heading', { name: 'Edit hourly tally' }).waitFor();
    const cron = alice.getByLabel(/^Cron/);
    expect(await cron.inputValue()).toBe('0 * * * *');
    await cron.fill('15 4 * * *');
    const preview = alice.getByTestId('cron-preview');
    await waitFor(
      async () => {
        const times = await preview.locator('li').allInnerTexts();
        return times.length === 5 && times.every((t) => / 04:15:00$/.test(t));
      },
      { timeoutMs: 10_000, what: 'five fire times at 04:15' },
    );
    await alice.getByRole('button', { name: 'Save schedule' }).click();
    await alice.getByText('Saved hourly tally.').waitFor();
    const row = alice.locator('tr', { has: alice.getByRole('link', { name: 'hourly tally' }) });
    await waitFor(async () => (await row.locator('td').first().innerText()) === '15 4 * * *', {
      timeoutMs: 10_000,
      what: 'the new cron in the list',
    });
    const saved = await s.call<{ cron: string; nextFireTimes: string[] }>(
      'alice',
      `/v1/schedules/${created.body.id}`,
    );
    expect(saved.body.cron).toBe('15 4 * * *');
    for (const t of saved.body.nextFireTimes) expect(t).toMatch(/T04:15:00(\.000)?Z$/);

    await row.getByRole('link', { name: 'hourly tally' }).click();
    const next = alice
      .locator('section', { has: alice.getByRole('heading', { name: 'Next fire times' }) })
      .locator('li');
    await next.first().waitFor();
    const shown = await next.allInnerTexts();
    expect(shown.length).toBe(saved.body.nextFireTimes.length);
    for (const t of shown) expect(t).toMatch(/ 04:15:00$/);
  });

  it('ran under the strict Content-Security-Policy without a violation', () => {
    expect(s.browser.cspViolations).toEqual([]);
  });
});
