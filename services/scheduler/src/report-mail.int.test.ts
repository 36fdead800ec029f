import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FileStore, ScheduleRepository, type JobDoc } from '@conveyor/jobs';
import { startJobStack, type JobStack } from '@conveyor/jobs/testing';
import { infra, startService, waitFor, type ServiceProcess } from '@conveyor/testkit';

let stack: JobStack;
let catcher: string;
const procs: ServiceProcess[] = [];

interface CaughtMessage {
  id: string;
  to: string[];
  subject: string;
  text: string;
  attachments: { filename: string | null; contentType: string; size: number; md5: string }[];
}

beforeAll(async () => {
  const { smtpCatcherUrl } = await infra();
  if (!smtpCatcherUrl)
    throw new Error(
      'SMTP_CATCHER_URL is not set: start the local infrastructure with `pnpm infra:up`',
    );
  catcher = smtpCatcherUrl;
  stack = await startJobStack('report-mail');
  const smtpUrl = process.env['SMTP_URL'];
  if (!smtpUrl)
    throw new Error('SMTP_URL is not set: start the local infrastructure with `pnpm infra:up`');
  procs.push(
    await startService('scheduler', { ...stack.env, SCAN_INTERVAL_MS: '200', DIGEST_CRON: 'off' }),
    await startService('processor', stack.env),
    await startService('mailer', {
      ...stack.env,
      SMTP_URL: `${smtpUrl}?starttls=never`,
      MAIL_RATE_PER_SECOND: '0',
    }),
  );
});

afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop('SIGTERM')));
  await stack?.teardown();
});

describe('a weekly report schedule', () => {
  it("mails the owner's report PDF as an attachment", async () => {
    const to = `weekly-${Date.now()}@example.com`;
    const schedules = new ScheduleRepository(stack.conn);
    await schedules.ensureIndexes();
    // Mondays at 08:00; its first fire is due now, as if the scheduler had reached Monday.
    const schedule = await schedules.create({
      owner: 'reporter',
      ownerEmail: to,
      name: 'weekly job report',
      cron: '0 0 8 * * 1',
      timezone: 'Europe/Berlin',
      enabled: true,
      jobTemplate: {
        type: 'report.generate',
        payload: JSON.stringify({
          title: 'Weekly job report',
          source: { jobStats: { periodDays: 7 } },
          email: { subject: 'Your weekly Conveyor report' },
        }),
        priority: 'normal',
        maxAttempts: null,
        timeoutMs: null,
      },
      misfirePolicy: 'run-once',
      overlapPolicy: 'allow',
      nextFireAt: new Date(Date.now() - 1000),
    });
    const report = await waitFor(
      async () => {
        const j = await stack.repo.model
          .findOne({ scheduleId: schedule._id.toHexString(), type: 'report.generate' })
          .lean<JobDoc>();
        return j?.status === 'succeeded' ? j : null;
      },
      { timeoutMs: 45_000, intervalMs: 200, what: 'the fired report job succeeded' },
    );
    const result = JSON.parse(report.result!) as {
      artifactId: string;
      emailJobId: string;
      bytes: number;
    };
    const message = await waitFor(
      async () => {
        const res = await fetch(`${catcher}/api/messages?to=${encodeURIComponent(to)}`);
        const list = (await res.json()) as CaughtMessage[];
        return list[0] ?? null;
      },
      { timeoutMs: 45_000, intervalMs: 250, what: 'the report email in the SMTP catcher' },
    );
    expect(message.subject).toBe('Your weekly Conveyor report');
    expect(message.text).toContain('Weekly job report');
    expect(message.attachments).toHaveLength(1);
    const [att] = message.attachments;
    expect(att).toMatchObject({
      filename: 'weekly-job-report.pdf',
      contentType: 'application/pdf',
      size: result.bytes,
    });
    // The attachment is the stored report, byte for byte.
    const chunks: Buffer[] = [];
    for await (const c of new FileStore(stack.conn, 'artifacts').openRead(result.artifactId))
      chunks.push(c as Buffer);
    const pdf = Buffer.concat(chunks);
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect(att!.md5).toBe(createHash('md5').update(pdf).digest('hex'));
    const mail = await stack.repo.get(result.emailJobId);
    expect(mail).toMatchObject({
      type: 'email.send',
      status: 'succeeded',
      idempotencyKey: `report:${report._id.toHexString()}`,
    });
  });
});
