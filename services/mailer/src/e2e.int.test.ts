import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Priority } from '@conveyor/contracts';
import type { JobDoc } from '@conveyor/jobs';
import { startJobStack, type JobStack } from '@conveyor/jobs/testing';
import { startService, waitFor, type ServiceProcess } from '@conveyor/testkit';
import {
  startSmtpTestServer,
  type SmtpReply,
  type SmtpTestServer,
} from './mail/smtp-test-server.js';

let stack: JobStack;
let smtp: SmtpTestServer;
let env: Record<string, string>;
/** Per-recipient SMTP replies the test server gives (undefined = accept). */
let rcptReply: (address: string) => SmtpReply | undefined = () => undefined;
const procs: ServiceProcess[] = [];

const subjectOf = (raw: Buffer) => /^Subject: (.*)$/m.exec(raw.toString('utf8'))?.[1]?.trim();

async function submitEmail(
  subject: string,
  priority: Priority,
  to = 'someone@example.com',
): Promise<JobDoc> {
  const { job } = await stack.repo.create({
    type: 'email.send',
    payload: { to: [to], subject, text: `body of ${subject}` },
    priority,
    owner: 'mail-e2e',
    maxAttempts: 3,
    timeoutMs: 30_000,
    runAt: new Date(),
  });
  return job;
}

beforeAll(async () => {
  stack = await startJobStack('mail');
  smtp = await startSmtpTestServer({ onRcptTo: (address) => rcptReply(address) });
  env = {
    ...stack.env,
    SMTP_URL: `${smtp.url}?starttls=never`,
    MAIL_RATE_PER_SECOND: '0',
    CONCURRENCY: '4',
    RETRY_BASE_MS: '200',
    RETRY_MAX_MS: '500',
  };
});

afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop('SIGKILL')));
  await smtp.close();
  await stack.teardown();
});

describe('mailer service end to end', () => {
  it('delivers an urgent email among the first few, ahead of a backlog of 500 low ones', async () => {
    const low: JobDoc[] = [];
    for (let i = 0; i < 500; i++) low.push(await submitEmail(`digest ${i}`, 'low'));
    await stack.dispatcher.dispatchMany(low);
    const urgent = await submitEmail('password reset', 'urgent');
    await stack.dispatcher.dispatch(urgent);

    // The mailer starts only now, with the whole backlog queued.
    procs.push(await startService('mailer', env));
    await waitFor(() => smtp.count >= 501, {
      timeoutMs: 120_000,
      what: 'all 501 emails delivered',
    });
    const order = smtp.messages.map((m) => subjectOf(m.raw));
    const position = order.indexOf('password reset');
    process.stdout.write(`urgent email delivered at position ${position + 1} of ${order.length}\n`);
    expect(position).toBeGreaterThanOrEqual(0);
    expect(position).toBeLessThan(10);
    // Exactly once each.
    expect(new Set(order).size).toBe(501);
    const done = await stack.repo.get(urgent._id.toHexString());
    expect(done?.status).toBe('succeeded');
    expect((JSON.parse(done!.result!) as { messageId: string }).messageId).toContain(
      `job-${urgent._id.toHexString()}@`,
    );
  });

  it('retries a 4xx with backoff and then sends exactly once; fails a 5xx after one attempt', async () => {
    let flakyRefusals = 0;
    rcptReply = (address) => {
      if (address === 'flaky@example.com' && flakyRefusals < 1) {
        flakyRefusals++;
        return { code: 451, message: '4.7.1 greylisted, try again later' };
      }
      if (address === 'gone@example.com')
        return { code: 550, message: '5.1.1 mailbox unavailable' };
      return undefined;
    };
    const flaky = await submitEmail('flaky', 'normal', 'flaky@example.com');
    const gone = await submitEmail('gone', 'normal', 'gone@example.com');
    await stack.dispatcher.dispatchMany([flaky, gone]);
    await waitFor(
      async () => {
        await stack.housekeeping.promoteDue(); // the scheduler's promoter, run here
        const [f, g] = await Promise.all([
          stack.repo.get(flaky._id.toHexString()),
          stack.repo.get(gone._id.toHexString()),
        ]);
        return f?.status === 'succeeded' && g?.status === 'failed';
      },
      { timeoutMs: 30_000, intervalMs: 200, what: 'flaky sent after a retry, gone failed' },
    );
    const f = (await stack.repo.get(flaky._id.toHexString()))!;
    const g = (await stack.repo.get(gone._id.toHexString()))!;
    expect(f.attempts).toBe(2);
    expect(smtp.messages.filter((m) => subjectOf(m.raw) === 'flaky')).toHaveLength(1);
    expect(g.attempts).toBe(1);
    expect(g.error).toMatchObject({ code: 'SMTP_REJECTED', retryable: false });
    expect(g.error?.message).toContain('5.1.1 mailbox unavailable');
    expect(smtp.messages.filter((m) => subjectOf(m.raw) === 'gone')).toHaveLength(0);
  });
});
