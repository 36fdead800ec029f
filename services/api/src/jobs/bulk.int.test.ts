import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Types } from 'mongoose';
import { storedJob } from '../testing/stored-job.js';
import { startTestApi, type TestApi } from '../testing/test-api.js';

// n.b. the test API runs no worker: retried jobs stay queued
let api: TestApi;
let alice: string;
const ids: Record<string, string[]> = {};

interface BulkAnswer {
  matched: number;
  done: number;
  skipped: number;
}

beforeAll(async () => {
  api = await startTestApi({ RATE_LIMIT_PER_MINUTE: '0' });
  alice = await api.token({ sub: 'alice' });
  const failed = (owner: string, type: string) =>
    storedJob({
      owner,
      type,
      status: 'failed',
      error: { code: 'SMTP_550', message: 'mailbox unavailable', retryable: false },
    });
  const docs = {
    aliceMail: [1, 2, 3].map(() => failed('alice', 'email.send')),
    aliceDemo: [failed('alice', 'demo.count')],
    bobMail: [failed('bob', 'email.send')],
  };
  await api.deps.repo.model.collection.insertMany(Object.values(docs).flat());
  for (const [k, list] of Object.entries(docs)) ids[k] = list.map((d) => d._id.toHexString());
});

afterAll(async () => {
  await api?.close();
});

const bulk = async (body: unknown) => {
  const res = await api.call('/v1/jobs/bulk', alice, {
    method: 'POST',
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as BulkAnswer & { errors?: unknown[] } };
};
const statusOf = async (id: string) =>
  (await api.deps.repo.model.collection.findOne({ _id: new Types.ObjectId(id) }))?.status;

describe('POST /v1/jobs/bulk', () => {
  it('counts, then retries every failed job of a type of the caller, as confirmed', async () => {
    const dry = await bulk({ action: 'retry', filter: { type: 'email.send' }, dryRun: true });
    expect(dry).toEqual({
      status: 200,
      body: { action: 'retry', matched: 3, done: 0, skipped: 0, dryRun: true },
    });
    expect(await statusOf(ids['aliceMail']![0]!)).toBe('failed');

    const tooFew = await bulk({ action: 'retry', filter: { type: 'email.send' }, expected: 2 });
    expect(tooFew.status).toBe(409);

    const run = await bulk({ action: 'retry', filter: { type: 'email.send' }, expected: 3 });
    expect(run.body).toMatchObject({ matched: 3, done: 3, skipped: 0 });
    for (const id of ids['aliceMail']!) expect(await statusOf(id)).toBe('queued');
    expect(await statusOf(ids['aliceDemo']![0]!)).toBe('failed');
    expect(await statusOf(ids['bobMail']![0]!)).toBe('failed');
  });

  it('cancels every queued job the filter matches', async () => {
    const run = await bulk({ action: 'cancel', filter: { type: 'email.send', status: 'queued' } });
    expect(run.body).toMatchObject({ matched: 3, done: 3 });
    for (const id of ids['aliceMail']!) expect(await statusOf(id)).toBe('cancelled');
  });

  it('refuses a state the action does not apply to, and unknown fields, with 400', async () => {
    const wrong = await bulk({ action: 'retry', filter: { status: 'succeeded' } });
    expect(wrong.status).toBe(400);
    expect(wrong.body.errors).toEqual([
      { field: 'filter.status', message: 'retry applies to failed or cancelled jobs' },
    ]);
    expect((await bulk({ action: 'retry', filter: { owner: { $ne: 1 } } })).status).toBe(400);
    expect((await bulk({ action: 'delete' })).status).toBe(400);
    expect((await bulk({ action: 'cancel', extra: true })).status).toBe(400);
  });
});
