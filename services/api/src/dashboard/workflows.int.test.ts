import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import { waitFor } from '@conveyor/testkit';
import { startDashboardStack, type DashboardStack } from '../testing/dashboard-stack.js';

// The dashboard's workflows view in Chromium against a running API, processor and scheduler.
let s: DashboardStack;
let alice: Page;

interface Step {
  id: string;
  kind: string;
  name: string | null;
  state: string;
  jobId: string | null;
}
interface Workflow {
  id: string;
  status: string;
  steps: Step[];
}

async function submitWorkflow(body: unknown): Promise<Workflow> {
  const res = await s.call<Workflow>('alice', '/v1/workflows', {
    method: 'POST',
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(202);
  return res.body;
}

const read = async (id: string) => (await s.call<Workflow>('alice', `/v1/workflows/${id}`)).body;
const count = (name: string, delayMs = 150) => ({
  name,
  type: 'demo.count',
  payload: { to: 4, delayMs },
});
const stepStates = (page: Page) =>
  page.locator('[data-testid="workflow-graph"] .wf-step').evaluateAll((els) =>
    els.map((e) => ({
      name: e.querySelector('.wf-step-name')?.textContent ?? '',
      state: e.getAttribute('data-step-state') ?? '',
      label: e.querySelector('.status')?.textContent ?? '',
    })),
  );

beforeAll(async () => {
  s = await startDashboardStack();
  alice = await s.signIn('alice');
}, 120_000);

afterAll(async () => {
  await s?.close();
});

describe('dashboard workflows view in Chromium', () => {
  let done: Workflow;

  it('draws a chain through a group and a chord as a graph whose steps turn succeeded live', async () => {
    done = await submitWorkflow({
      name: 'nightly import',
      workflow: {
        chain: [
          // n.b. a slow first step: the page is open well before anything has finished
          count('fetch', 500),
          { name: 'split', group: [count('left'), count('right'), count('middle')] },
          { chord: { header: [count('sum a'), count('sum b')], body: count('report') } },
        ],
      },
    });
    await s.open(alice, `/workflows/${done.id}`);
    await alice.getByRole('heading', { name: /nightly import/, level: 1 }).waitFor();
    const names = ['fetch', 'left', 'right', 'middle', 'sum a', 'sum b', 'report'];
    // Every job step is drawn at once, in tree order, with its state in text as well as colour.
    expect((await stepStates(alice)).map((x) => x.name)).toEqual(names);
    for (const x of await stepStates(alice)) expect(x.label).toBe(x.state);
    expect(await alice.getByRole('list', { name: /^Group split: 3 in parallel/ }).count()).toBe(1);
    expect(await alice.getByRole('list', { name: /^Chord: header, then body/ }).count()).toBe(1);
    // Seen live: at least one step not yet succeeded while the page is open, then all of them.
    const seen = new Set<string>();
    await waitFor(
      async () => {
        const states = await stepStates(alice);
        for (const x of states) seen.add(x.state);
        return states.every((x) => x.state === 'succeeded');
      },
      { timeoutMs: 60_000, intervalMs: 100, what: 'every step succeeded on the page' },
    );
    expect([...seen].some((x) => x !== 'succeeded')).toBe(true);
    await waitFor(
      async () => (await alice.getByTestId('workflow-status').innerText()) === 'succeeded',
      {
        timeoutMs: 30_000,
        what: 'workflow succeeded on the page',
      },
    );
    expect((await read(done.id)).status).toBe('succeeded');
    // The group's members are drawn side by side in parallel: stacked, one above the other.
    const boxes = await Promise.all(
      ['left', 'right', 'middle'].map((n) =>
        alice.locator('.wf-step', { hasText: n }).first().boundingBox(),
      ),
    );
    expect(boxes[0]!.x).toBeCloseTo(boxes[1]!.x, 0);
    expect(boxes[1]!.y).toBeGreaterThan(boxes[0]!.y);
    const fetchBox = await alice.locator('.wf-step', { hasText: 'fetch' }).boundingBox();
    const reportBox = await alice.locator('.wf-step', { hasText: 'report' }).boundingBox();
    expect(fetchBox!.x).toBeLessThan(boxes[0]!.x);
    expect(reportBox!.x).toBeGreaterThan(boxes[0]!.x);
    expect(await s.scan(alice, 'workflow')).toEqual([]);

    // A step links to its job; the job links back to its workflow.
    const report = (await read(done.id)).steps.find((x) => x.name === 'report')!;
    // By keyboard: the step boxes are links in the tab order.
    const reportLink = alice.getByRole('link', { name: 'report demo.count succeeded' });
    await reportLink.focus();
    await alice.keyboard.press('Enter');
    await alice.waitForURL(new RegExp(`#/jobs/${report.jobId}$`));
    await alice.getByRole('link', { name: done.id }).click();
    await alice.waitForURL(new RegExp(`#/workflows/${done.id}$`));
    await alice.getByTestId('workflow-graph').waitFor();
  });

  it('cancels a running workflow from its page', async () => {
    const wf = await submitWorkflow({
      name: 'long count',
      workflow: {
        chain: [
          { name: 'slow', type: 'demo.count', payload: { to: 600, delayMs: 100 } },
          count('after'),
        ],
      },
    });
    await s.open(alice, `/workflows/${wf.id}`);
    const slow = alice.locator('.wf-step', { hasText: 'slow' });
    await waitFor(async () => (await slow.getAttribute('data-step-state')) === 'running', {
      timeoutMs: 30_000,
      what: 'the first step running on the page',
    });
    await alice.getByRole('button', { name: 'Cancel workflow' }).click();
    await alice.getByText('Workflow cancelled.').waitFor();
    await waitFor(
      async () => (await alice.getByTestId('workflow-status').innerText()) === 'cancelled',
      {
        timeoutMs: 30_000,
        what: 'workflow cancelled on the page',
      },
    );
    await waitFor(async () => (await slow.getAttribute('data-step-state')) === 'cancelled', {
      timeoutMs: 30_000,
      what: 'the running step cancelled on the page',
    });
    const after = await read(wf.id);
    expect(after.status).toBe('cancelled');
    const slowJob = after.steps.find((x) => x.name === 'slow')!.jobId!;
    await waitFor(
      async () =>
        (await s.call<{ status: string }>('alice', `/v1/jobs/${slowJob}`)).body.status ===
        'cancelled',
      { timeoutMs: 30_000, what: 'the step’s job cancelled' },
    );
    expect(after.steps.find((x) => x.name === 'after')!.jobId).toBeNull();
    expect(await alice.getByRole('button', { name: 'Cancel workflow' }).isDisabled()).toBe(true);

    // Retry runs it again from the page.
    await alice.getByRole('button', { name: 'Retry workflow' }).click();
    await alice.getByText('Retrying the workflow.').waitFor();
    await waitFor(async () => (await read(wf.id)).status === 'running', {
      timeoutMs: 30_000,
      what: 'workflow running again',
    });
    await waitFor(
      async () => (await alice.getByTestId('workflow-status').innerText()) === 'running',
      {
        timeoutMs: 30_000,
        what: 'workflow running again on the page',
      },
    );
    await s.call('alice', `/v1/workflows/${wf.id}/cancel`, { method: 'POST' });

    // The list: newest first, filtered by status.
    await s.open(alice, '/workflows');
    const rows = alice.locator('tbody tr');
    await rows.first().waitFor();
    expect(await rows.nth(0).getAttribute('data-workflow-id')).toBe(wf.id);
    expect(await alice.locator(`tr[data-workflow-id="${done.id}"]`).count()).toBe(1);
    await alice.getByLabel('Status').selectOption('succeeded');
    await alice.getByRole('button', { name: 'Apply filter' }).click();
    await alice.getByText('1 workflow on this page').waitFor();
    expect(await rows.nth(0).getAttribute('data-workflow-id')).toBe(done.id);
    expect(await s.scan(alice, 'workflows')).toEqual([]);
  });

  it('shows a fail-fast workflow’s failed step with its error, the cancelled and skipped ones', async () => {
    const wf = await submitWorkflow({
      name: 'doomed',
      workflow: {
        chain: [
          {
            group: [
              { name: 'slow', type: 'demo.count', payload: { to: 600, delayMs: 100 } },
              {
                name: 'too slow',
                type: 'demo.count',
                payload: { to: 100, delayMs: 100 },
                timeoutMs: 500,
                maxAttempts: 1,
              },
            ],
          },
          count('never'),
        ],
      },
    });
    await s.open(alice, `/workflows/${wf.id}`);
    await waitFor(
      async () => (await alice.getByTestId('workflow-status').innerText()) === 'failed',
      {
        timeoutMs: 60_000,
        what: 'workflow failed on the page',
      },
    );
    const box = (name: string) => alice.locator('.wf-step', { hasText: name });
    await waitFor(
      async () =>
        (await box('too slow').getAttribute('data-step-state')) === 'failed' &&
        (await box('slow').first().getAttribute('data-step-state')) === 'cancelled' &&
        (await box('never').getAttribute('data-step-state')) === 'skipped',
      { timeoutMs: 30_000, what: 'failed, cancelled and skipped steps on the page' },
    );
    expect(await box('too slow').locator('.wf-step-error').innerText()).toMatch(/^TIMEOUT: /);
    // A skipped step never had a job: a box, not a link.
    expect(await box('never').evaluate((e) => e.tagName)).toBe('SPAN');
    expect(await alice.getByRole('button', { name: 'Retry workflow' }).isEnabled()).toBe(true);
    expect(await s.scan(alice, 'workflow-failed')).toEqual([]);
  });

  it('pages through the workflows list with the cursor, forward and back', async () => {
    for (let i = 0; i < 21; i++)
      await submitWorkflow({ workflow: { chain: [{ type: 'demo.count', payload: { to: 0 } }] } });
    type P = { items: { id: string }[]; nextCursor: string | null };
    const p1 = (await s.call<P>('alice', '/v1/workflows?limit=20')).body;
    const p2 = (await s.call<P>('alice', `/v1/workflows?limit=20&cursor=${p1.nextCursor}`)).body;
    expect(p2.items.length).toBeGreaterThan(0);
    const ids = (page: Page) =>
      page
        .locator('table.workflows tbody tr')
        .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-workflow-id')));
    await s.open(alice, '/workflows');
    await alice.getByText('20 workflows on this page').waitFor();
    expect(await ids(alice)).toEqual(p1.items.map((w) => w.id));
    await alice.getByRole('button', { name: 'Next page' }).click();
    await alice.getByText('Page 2', { exact: true }).waitFor();
    await waitFor(async () => (await ids(alice)).join() === p2.items.map((w) => w.id).join(), {
      timeoutMs: 10_000,
      what: 'the second page of workflows',
    });
    await alice.getByRole('button', { name: 'Previous page' }).click();
    await alice.getByText('Page 1', { exact: true }).waitFor();
    await waitFor(async () => (await ids(alice)).join() === p1.items.map((w) => w.id).join(), {
      timeoutMs: 10_000,
      what: 'the first page of workflows again',
    });
  });

  it('keeps alice’s workflows from bob: absent from his list, not found by id', async () => {
    const bob = await s.signIn('bob');
    await bob.getByRole('link', { name: 'Workflows' }).click();
    await bob.getByText('0 workflows on this page').waitFor();
    await s.open(bob, `/workflows/${done.id}`);
    await bob.getByRole('heading', { name: 'Workflow not found' }).waitFor();
    await bob.close();
  });

  it('ran under the strict Content-Security-Policy without a violation', () => {
    expect(s.browser.cspViolations).toEqual([]);
  });
});
