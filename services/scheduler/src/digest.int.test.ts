import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  infra,
  mongoUrlForDb,
  startService,
  uniqueName,
  waitFor,
  type ServiceProcess,
} from '@conveyor/testkit';
import { queueDigests } from './digest.js';
import { startHarness, type Harness } from './test-harness.js';

let h: Harness;
let mailer: ServiceProcess | null = null;
let catcher: string;

interface CaughtMessage {
  to: string[];
  subject: string;
  text: string;
}

beforeAll(async () => {
  const { smtpCatcherUrl } = await infra();
  if (!smtpCatcherUrl)
    throw new Error(
      'SMTP_CATCHER_URL is not set: start the local infrastructure with `pnpm infra:up`',
    );
  catcher = smtpCatcherUrl;
  h = await startHarness('digest');
});

afterAll(async () => {
  await mailer?.stop('SIGTERM');
  await h.teardown();
});

/** Creates a job for `owner` and moves it to `status` through the repository's transitions. */
async function job(
  owner: string,
  email: string,
  status: 'queued' | 'scheduled' | 'failed',
): Promise<void> {
  const runAt = status === 'scheduled' ? new Date(Date.now() + 3600_000) : new Date();
  const { job: doc } = await h.jobs.create({
    type: 'demo.count',
    payload: { to: 1 },
    priority: 'normal',
    owner,
    ownerEmail: email,
    maxAttempts: 1,
    timeoutMs: 10_000,
    runAt,
  });
  if (status !== 'failed') return;
  const claimed = await h.jobs.transition('moveToRunning', doc._id, {
    attempt: 1,
    workerId: 'test',
    leaseToken: 'test-lease',
    leaseMs: 10_000,
  });
  await h.jobs.transition('moveToFailed', doc._id, {
    leaseToken: claimed!.leaseToken!,
    error: { code: 'BOOM', message: 'it broke', retryable: false },
  });
}

describe('daily digest', () => {
  it('mails each owner with pending or failed jobs a digest with their own counts', async () => {
    const run = uniqueName('d');
    const alice = `alice-${run}@example.com`;
    const bob = `bob-${run}@example.com`;
    for (const s of ['queued', 'queued', 'failed'] as const) await job('alice', alice, s);
    for (const s of ['scheduled', 'failed', 'failed'] as const) await job('bob', bob, s);
    await job('carol', '', 'queued'); // no address: no digest
    await h.jobs.model.updateMany({ owner: 'carol' }, { $set: { ownerEmail: null } });

    const { rabbitmqUrl, mongoUrl } = await infra();
    mailer = await startService('mailer', {
      RABBITMQ_URL: rabbitmqUrl,
      MONGO_URL: mongoUrlForDb(mongoUrl, h.conn.name),
      CONVEYOR_PREFIX: h.topo.prefix,
      SMTP_URL: process.env['SMTP_URL'] ?? 'smtp://127.0.0.1:1025',
      MAIL_RATE_PER_SECOND: '0',
    });
    const fireAt = new Date();
    expect(await queueDigests(h.core, fireAt)).toBe(2);
    // Every replica may run the built-in: another run for the same fire time creates nothing.
    expect(await queueDigests(h.core, fireAt)).toBe(0);

    const mine = async () => {
      const res = await fetch(`${catcher}/api/messages`);
      const all = (await res.json()) as CaughtMessage[];
      return all.filter((m) => m.to.some((t) => t.includes(run)));
    };
    await waitFor(async () => (await mine()).length >= 2, {
      timeoutMs: 30_000,
      what: 'two digests in the catcher',
    });
    const messages = await mine();
    expect(messages).toHaveLength(2);
    const toAlice = messages.find((m) => m.to.some((t) => t.includes(alice)))!;
    const toBob = messages.find((m) => m.to.some((t) => t.includes(bob)))!;
    expect(toAlice.subject).toBe('Conveyor digest: 1 failed, 2 pending');
    expect(toBob.subject).toBe('Conveyor digest: 2 failed, 1 pending');
    expect(toBob.text).toContain('it broke');
  });
});
