import { describe, expect, it } from '@jest/globals';
import { PermanentJobError } from '@conveyor/jobs';
import {
  addresses,
  metricValue,
  received,
  runHandler,
  useMailerTestRigs,
} from './mailer-test-rig.js';

const t = useMailerTestRigs();

describe('email.send', () => {
  it('delivers one message with the expected headers, both parts and a deterministic Message-ID', async () => {
    const server = await t.rigs.smtpServer();
    const r = await t.rigs.rig(server.url, { MAIL_FROM: '"Conveyor Jobs" <jobs@conveyor.test>' });
    const result = await runHandler(
      r,
      'email.send',
      {
        to: ['"Ann Müller" <ann@example.com>', 'bob@example.com'],
        cc: ['Carol <carol@example.com>'],
        bcc: ['dave@example.com'],
        replyTo: 'support@example.com',
        subject: 'Grüße 🚀',
        text: 'Hallo, plain text',
        html: '<p>Hallo, <b>HTML</b></p>',
      },
      t.jobId,
    );

    expect(server.messages).toHaveLength(1);
    const envelope = server.messages[0];
    expect(envelope?.mailFrom).toBe('jobs@conveyor.test');
    expect(envelope?.rcptTo.sort()).toEqual([
      'ann@example.com',
      'bob@example.com',
      'carol@example.com',
      'dave@example.com',
    ]);
    // n.b. the subject went over the wire as an encoded word, not raw UTF-8
    expect(envelope?.raw.toString('latin1')).toMatch(/^Subject: =\?UTF-8\?/im);

    const mail = await received(server);
    expect(mail.subject).toBe('Grüße 🚀');
    expect(mail.messageId).toBe(`<job-${t.jobId}@conveyor.test>`);
    expect(addresses(mail.from)).toEqual([
      { name: 'Conveyor Jobs', address: 'jobs@conveyor.test' },
    ]);
    expect(addresses(mail.to)).toEqual([
      { name: 'Ann Müller', address: 'ann@example.com' },
      { name: '', address: 'bob@example.com' },
    ]);
    expect(addresses(mail.cc)).toEqual([{ name: 'Carol', address: 'carol@example.com' }]);
    expect(mail.headers.has('bcc')).toBe(false);
    expect(addresses(mail.replyTo)).toEqual([{ name: '', address: 'support@example.com' }]);
    expect(mail.text?.trim()).toBe('Hallo, plain text');
    expect(mail.html).toContain('<p>Hallo, <b>HTML</b></p>');

    expect(result).toEqual({
      messageId: `<job-${t.jobId}@conveyor.test>`,
      accepted: expect.arrayContaining([
        'ann@example.com',
        'bob@example.com',
        'carol@example.com',
        'dave@example.com',
      ]),
      rejected: [],
      response: expect.stringContaining('250'),
    });
    const record = await r.deliveries.findByJobId(t.jobId);
    expect(record).toMatchObject({
      jobId: t.jobId,
      jobType: 'email.send',
      template: null,
      messageId: `<job-${t.jobId}@conveyor.test>`,
    });
    expect(record?.response).toContain('Ok: queued as test-1');
    expect(await metricValue(r, 'conveyor_mail_sent_total', { template: 'none' })).toBe(1);
  });

  it('refuses a recipient carrying a header injection before anything is sent', async () => {
    const server = await t.rigs.smtpServer();
    const r = await t.rigs.rig(server.url);
    const attempt = runHandler(
      r,
      'email.send',
      { to: ['ann@example.com\r\nBcc: evil@example.org'], subject: 's', text: 't' },
      t.jobId,
    );
    await expect(attempt).rejects.toBeInstanceOf(PermanentJobError);
    await expect(attempt).rejects.toMatchObject({
      code: 'INVALID_PAYLOAD',
      message: expect.stringContaining('to.0'),
    });
    expect(server.count).toBe(0);
    expect(await r.deliveries.findByJobId(t.jobId)).toBeNull();
  });

  it('a redelivered job that was already sent sends nothing and returns the recorded result', async () => {
    const server = await t.rigs.smtpServer();
    const r = await t.rigs.rig(server.url);
    const payload = { to: ['ann@example.com'], subject: 'Once', text: 'only once' };
    const first = await runHandler(r, 'email.send', payload, t.jobId, 1);
    const second = await runHandler(r, 'email.send', payload, t.jobId, 1);
    expect(second).toEqual(first);
    expect(server.count).toBe(1);
    expect(await metricValue(r, 'conveyor_mail_duplicates_skipped_total')).toBe(1);
    expect(await metricValue(r, 'conveyor_mail_sent_total', { template: 'none' })).toBe(1);
  });
});
