import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { COLLECTIONS, FileStore } from '@conveyor/jobs/store';
import { testJob } from '@conveyor/jobs/testing';
import { purgeExpired } from './purge.js';
import { startHarness, type Harness } from './test-harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness('sched-purge');
});
afterAll(async () => h?.teardown());

const job = () => testJob({ maxAttempts: 1, timeoutMs: 1000 });

describe('retention purge', () => {
  it('deletes only finished jobs past retention, with their artifacts', async () => {
    const now = new Date('2026-06-30T12:00:00Z');
    const day = 86_400_000;
    const make = async (status: string, finishedAt: Date | null) => {
      const { job: j } = await h.jobs.create(job());
      await h.jobs.model.updateOne({ _id: j._id }, { $set: { status, finishedAt } });
      return j._id.toHexString();
    };
    const oldDone = await make('succeeded', new Date(now.getTime() - 15 * day));
    const oldFailed = await make('failed', new Date(now.getTime() - 20 * day));
    const recent = await make('succeeded', new Date(now.getTime() - 13 * day));
    const running = await make('running', null);
    const artifacts = new FileStore(h.conn, 'artifacts');
    const write = (jobId: string) =>
      new Promise<string>((resolve, reject) => {
        const { id, stream } = artifacts.openWrite('out.csv', {
          contentType: 'text/csv',
          owner: 'alice',
          jobId,
        });
        stream.on('error', reject).on('finish', () => resolve(id));
        stream.end('a,b\n1,2\n');
      });
    const oldArtifact = await write(oldDone);
    const recentArtifact = await write(recent);

    const deliveries = h.jobs.model.db.collection<{ _id: string; sentAt: Date }>(
      COLLECTIONS.mailDeliveries,
    );
    await deliveries.insertMany([
      { _id: oldDone, sentAt: now },
      { _id: recent, sentAt: now },
    ]);

    expect(await purgeExpired(h.jobs, artifacts, 14, now)).toBe(2);
    expect((await deliveries.find({}).toArray()).map((d) => d._id)).toEqual([recent]);
    const left = (await h.jobs.model.find({}, { _id: 1 }).lean())
      .map((j) => j._id.toHexString())
      .sort();
    expect(left).toEqual([recent, running].sort());
    expect(left).not.toContain(oldFailed);
    expect(await artifacts.find(oldArtifact)).toBeNull();
    expect(await artifacts.find(recentArtifact)).not.toBeNull();
  });
});
