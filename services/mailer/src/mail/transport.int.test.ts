import { afterEach, describe, expect, it } from '@jest/globals';
import { simpleParser } from 'mailparser';
import { RetryableJobError } from '@conveyor/jobs';
import { parseMailConfig } from './config.js';
import { createMailTransport, type MailTransport } from './transport.js';
import { toMailAddress } from './addresses.js';
import type { OutgoingMail } from './outgoing-mail.js';
import {
  startSmtpTestServer,
  type SmtpTestServerOptions,
  type SmtpTestServer,
} from './smtp-test-server.js';

let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

async function server(options: SmtpTestServerOptions): Promise<SmtpTestServer> {
  const s = await startSmtpTestServer(options);
  cleanups.push(() => s.close());
  return s;
}

function transport(smtpUrl: string): MailTransport {
  const t = createMailTransport(parseMailConfig({ SMTP_URL: smtpUrl }), {
    connectTimeoutMs: 2_000,
    verifyTimeoutMs: 2_000,
  });
  cleanups.push(() => t.close());
  return t;
}

const mail = (subject: string): OutgoingMail => ({
  from: toMailAddress('Conveyor <no-reply@conveyor.local>'),
  to: [toMailAddress('ann@example.com')],
  subject,
  text: 'body',
  messageId: '<job-t1@conveyor.local>',
});

const signal = () => new AbortController().signal;

describe('createMailTransport', () => {
  it('upgrades a plain connection with STARTTLS and logs in with the URL credentials', async () => {
    const s = await server({ starttls: true, auth: { user: 'mailer@acme', pass: 'p:ss@w0rd' } });
    expect(s.url).toContain('mailer%40acme:p%3Ass%40w0rd@');
    const t = transport(s.url);
    await t.verify();
    const sent = await t.send(mail('over starttls'), signal());
    expect(sent.accepted).toEqual(['ann@example.com']);
    expect(s.messages[0]).toMatchObject({ user: 'mailer@acme', secure: true });
    expect((await simpleParser(s.messages[0]?.raw ?? Buffer.alloc(0))).subject).toBe(
      'over starttls',
    );
  });

  it('speaks TLS from the first byte for smtps://', async () => {
    const s = await server({ secure: true, auth: { user: 'u', pass: 'p' } });
    const t = transport(s.url);
    await t.send(mail('over smtps'), signal());
    expect(s.messages[0]).toMatchObject({ user: 'u', secure: true });
  });

  it('refuses to go on in plain text when STARTTLS is required but not offered', async () => {
    const s = await server({});
    const t = transport(`smtp://127.0.0.1:${s.port}?starttls=required`);
    await expect(t.verify()).rejects.toThrow(/not usable/);
    await expect(t.send(mail('never'), signal())).rejects.toMatchObject({
      code: 'SMTP_UNAVAILABLE',
      retryable: true,
    });
    expect(s.count).toBe(0);
  });

  it('reports wrong credentials as the server being unavailable (retryable), with its reply', async () => {
    const s = await server({ auth: { user: 'u', pass: 'right' } });
    const t = transport(`smtp://u:wrong@127.0.0.1:${s.port}`);
    const attempt = t.send(mail('never'), signal());
    await expect(attempt).rejects.toBeInstanceOf(RetryableJobError);
    await expect(attempt).rejects.toMatchObject({
      code: 'SMTP_UNAVAILABLE',
      message: expect.stringContaining('535'),
    });
  });

  it('an aborted send rejects with the signal reason', async () => {
    const s = await server({});
    const t = transport(s.url);
    const ac = new AbortController();
    const reason = new Error('job cancelled');
    ac.abort(reason);
    await expect(t.send(mail('never'), ac.signal)).rejects.toBe(reason);
    expect(s.count).toBe(0);
  });

  it('close() is idempotent', async () => {
    const s = await server({});
    const t = transport(s.url);
    await t.send(mail('one'), signal());
    await Promise.all([t.close(), t.close()]);
    await expect(t.close()).resolves.toBeUndefined();
  });
});
