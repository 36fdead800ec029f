import { describe, expect, it } from '@jest/globals';
import { MailConfigError, parseMailConfig } from './config.js';

const base = { SMTP_URL: 'smtp://127.0.0.1:1025' };

function errorOf(env: Record<string, string | undefined>): MailConfigError {
  try {
    parseMailConfig(env);
  } catch (err) {
    if (err instanceof MailConfigError) return err;
    throw err;
  }
  throw new Error('expected parseMailConfig to throw');
}

describe('parseMailConfig', () => {
  it('applies the defaults and freezes the result', () => {
    const config = parseMailConfig(base);
    expect(config.smtp).toMatchObject({
      host: '127.0.0.1',
      port: 1025,
      secure: false,
      starttls: 'opportunistic',
      auth: undefined,
    });
    expect(config.from).toEqual({ name: 'Conveyor', address: 'no-reply@conveyor.local' });
    expect(config.messageIdDomain).toBe('conveyor.local');
    expect(config.ratePerSecond).toBe(50);
    expect(config.poolSize).toBe(5);
    expect(config.subjects.notification).toBe('{{title}}');
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.subjects)).toBe(true);
  });

  it('reads smtps with credentials, and masks the password for display', () => {
    const config = parseMailConfig({
      SMTP_URL: 'smtps://mailer%40acme:p%3Ass%40w@smtp.example.com',
    });
    expect(config.smtp).toMatchObject({
      host: 'smtp.example.com',
      port: 465,
      secure: true,
      auth: { user: 'mailer@acme', pass: 'p:ss@w' },
    });
    expect(config.smtp.displayUrl).toBe('smtps://mailer%40acme:***@smtp.example.com');
  });

  it('reads STARTTLS policy and certificate checking from the query', () => {
    const config = parseMailConfig({
      SMTP_URL: 'smtp://u:p@mx.example.com?starttls=required&tlsRejectUnauthorized=false',
    });
    expect(config.smtp).toMatchObject({
      port: 587,
      secure: false,
      starttls: 'required',
      tlsRejectUnauthorized: false,
    });
  });

  it('reads the sender, rate, pool size and subjects', () => {
    const config = parseMailConfig({
      ...base,
      MAIL_FROM: '"Acme Jobs" <jobs@Acme.example>',
      MAIL_RATE_PER_SECOND: '0.5',
      SMTP_POOL_SIZE: '2',
      MAIL_SUBJECT_PASSWORD_RESET: 'Reset your {{#if name}}{{name}}{{/if}} password',
    });
    expect(config.from).toEqual({ name: 'Acme Jobs', address: 'jobs@Acme.example' });
    expect(config.messageIdDomain).toBe('acme.example');
    expect(config.ratePerSecond).toBe(0.5);
    expect(config.poolSize).toBe(2);
    expect(config.subjects['password-reset']).toBe(
      'Reset your {{#if name}}{{name}}{{/if}} password',
    );
  });

  it.each([
    [{}, 'SMTP_URL', /required/],
    [{ SMTP_URL: 'http://mail.example.com' }, 'SMTP_URL', /smtp:\/\/ or smtps:\/\//],
    [{ SMTP_URL: 'not a url' }, 'SMTP_URL', /not a URL/],
    [{ SMTP_URL: 'smtp://h:99999' }, 'SMTP_URL', /not a URL|invalid port/],
    [{ SMTP_URL: 'smtp://h?starttls=maybe' }, 'SMTP_URL', /starttls/],
    [{ SMTP_URL: 'smtp://h?pool=true' }, 'SMTP_URL', /unknown parameter pool/],
    [{ ...base, MAIL_FROM: 'not an address' }, 'MAIL_FROM', /mailbox/],
    [{ ...base, MAIL_FROM: 'a@example.com, b@example.com' }, 'MAIL_FROM', /mailbox/],
    [{ ...base, MAIL_RATE_PER_SECOND: '-1' }, 'MAIL_RATE_PER_SECOND', />= 0/],
    [{ ...base, MAIL_RATE_PER_SECOND: 'fast' }, 'MAIL_RATE_PER_SECOND', /number/],
    [{ ...base, SMTP_POOL_SIZE: '0' }, 'SMTP_POOL_SIZE', /1 to 100/],
    [{ ...base, MAIL_SUBJECT_WELCOME: 'Hi {{#if name}}' }, 'MAIL_SUBJECT_WELCOME', /handlebars/],
    [{ ...base, MAIL_SUBJECT_DIGEST: 'a\nBcc: x@example.com' }, 'MAIL_SUBJECT_DIGEST', /one line/],
  ])('refuses %j naming %s', (env, variable, problem) => {
    const err = errorOf(env);
    expect(err.variable).toBe(variable);
    expect(err.message.startsWith(variable)).toBe(true);
    expect(err.message).toMatch(problem);
  });

  it('never puts the password in an error message', () => {
    const err = errorOf({ SMTP_URL: 'smtp://user:s3cret@h?starttls=maybe' });
    expect(err.message).not.toContain('s3cret');
  });
});
