import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { Connection } from 'mongoose';
import { connectMongo, createLogger } from '@conveyor/platform';
import { infra, mongoUrlForDb, uniqueName } from '@conveyor/testkit';
import { jobModel } from './job.model.js';
import { warmUpStore } from './store-warmup.js';
import { eventLedgers } from './event-ledger.js';

// The store warm-up runs every synthetic job through the path a real one takes: created,
// marked published, claimed, succeeded under an event ledger, which is deleted afterwards.

let conn: Connection;
beforeAll(async () => {
  const { mongoUrl } = await infra();
  const db = uniqueName('warm_up').replace(/-/g, '_');
  conn = await connectMongo(mongoUrlForDb(mongoUrl, db), createLogger('warm-up-test', 'silent'));
});
afterAll(async () => {
  await conn?.dropDatabase();
  await conn?.close();
});

it('runs each synthetic job from creation to success, in batches', async () => {
  const r = await warmUpStore(conn, { jobs: 250, batch: 100, concurrency: 4 });
  expect(r.jobs).toBe(250);
  const jobs = await jobModel(conn).find({}).lean();
  expect(jobs).toHaveLength(250);
  const states = new Set(
    jobs.map(
      (j) =>
        `${j.status} attempts ${j.attempts} published ${j.publishedAt !== null} ` +
        `event marked ${j.eventPendingAt != null} ledger ${j.eventLedger != null} result ${j.result}`,
    ),
  );
  expect([...states]).toEqual([
    'succeeded attempts 1 published true event marked false ledger true result {"count":0}',
  ]);
  // every event was confirmed: no ledger is left for the sweep
  expect(await eventLedgers(conn).countDocuments()).toBe(0);
});
