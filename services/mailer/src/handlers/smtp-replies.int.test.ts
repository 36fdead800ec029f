import { describe, expect, it } from '@jest/globals';
import { PermanentJobError, RetryableJobError } from '@conveyor/jobs';
import { createSmtpCheck } from '../mail/readiness.js';
import { startSmtpTestServer } from '../mail/smtp-test-server.js';
import { metricValue, received, runHandler, useMailerTestRigs } from './mailer-test-rig.js';

const t = useMailerTestRigs();

describe('SMTP replies', () => {
  it('a 451 fails the attempt as retryable; the next attempt sends exactly one message', async () => {
    const server = await t.rigs.smtpServer({
      onRcptTo: (_a, n) => (n === 1 ? { code: 451, message: '4.3.0 try again later' } : undefined),
    });
    const r = await t.rigs.rig(server.url);
    const payload = { to: ['ann@example.com'], subject: 'Deferred once', text: 'x' };
    const attempt1 = runHandler(r, 'email.send', payload, t.jobId, 1);
    await expect(attempt1).rejects.toBeInstanceOf(RetryableJobError);
    await expect(attempt1).rejects.toMatchObject({
      code: 'SMTP_TRANSIENT',
      message: expect.stringContaining('451 4.3.0 try again later'),
    });
    expect(await r.deliveries.findByJobId(t.jobId)).toBeNull();

    await runHandler(r, 'email.send', payload, t.jobId, 2);
    expect(server.count).toBe(1);
    expect((await received(server)).subject).toBe('Deferred once');
    expect(
      await metricValue(r, 'conveyor_mail_failed_total', {
        template: 'none',
        reason: 'SMTP_TRANSIENT',
      }),
    ).toBe(1);
  });

  it("a 550 fails the job for good with the server's reply", async () => {
    const server = await t.rigs.smtpServer({
      onRcptTo: () => ({ code: 550, message: '5.1.1 <ann@example.com>: no such user' }),
    });
    const r = await t.rigs.rig(server.url);
    const attempt = runHandler(
      r,
      'email.send',
      { to: ['ann@example.com'], subject: 's', text: 't' },
      t.jobId,
    );
    await expect(attempt).rejects.toBeInstanceOf(PermanentJobError);
    await expect(attempt).rejects.toMatchObject({
      code: 'SMTP_REJECTED',
      retryable: false,
      message: expect.stringContaining('550 5.1.1 <ann@example.com>: no such user'),
    });
    expect(server.count).toBe(0);
    expect(await r.deliveries.findByJobId(t.jobId)).toBeNull();
    expect(
      await metricValue(r, 'conveyor_mail_failed_total', {
        template: 'none',
        reason: 'SMTP_REJECTED',
      }),
    ).toBe(1);
  });

  it('with the SMTP server down the attempt is retryable and readiness fails; once it is back it sends', async () => {
    // n.b. a port that was free a moment ago and has nothing listening now
    const gone = await startSmtpTestServer();
    await gone.close();
    const r = await t.rigs.rig(`smtp://127.0.0.1:${gone.port}`);
    const checkSmtp = createSmtpCheck(r.transport, { cacheMs: 0 });
    const payload = { to: ['ann@example.com'], subject: 'After the outage', text: 'x' };

    await expect(checkSmtp()).rejects.toThrow(/not usable/);
    const attempt = runHandler(r, 'email.send', payload, t.jobId, 1);
    await expect(attempt).rejects.toBeInstanceOf(RetryableJobError);
    await expect(attempt).rejects.toMatchObject({
      code: 'SMTP_UNAVAILABLE',
      message: expect.stringContaining('ECONNREFUSED'),
    });
    expect(await r.deliveries.findByJobId(t.jobId)).toBeNull();

    const back = await t.rigs.smtpServer({ port: gone.port });
    await expect(checkSmtp()).resolves.toBeUndefined();
    await runHandler(r, 'email.send', payload, t.jobId, 2);
    expect(back.count).toBe(1);
    expect((await received(back)).subject).toBe('After the outage');
  });
});
