import { describe, expect, it } from '@jest/globals';
import { PermanentJobError, RetryableJobError, classifyError } from '@conveyor/jobs';
import { classifySmtpError } from './smtp-errors.js';

/** An error shaped the way nodemailer reports it (see its _formatError). */
function smtpError(
  message: string,
  props: { code?: string; response?: string; command?: string },
): Error {
  const err = new Error(props.response ? `${message}: ${props.response}` : message);
  const responseCode = props.response ? Number(/^\d+/.exec(props.response)?.[0]) : undefined;
  return Object.assign(err, props, responseCode ? { responseCode } : {});
}

describe('classifySmtpError', () => {
  it.each([
    ['ECONNECTION', 'Connection closed unexpectedly'],
    ['ETIMEDOUT', 'Greeting never received'],
    ['ESOCKET', 'connect ECONNREFUSED 127.0.0.1:25'],
    ['EDNS', 'getaddrinfo ENOTFOUND smtp.invalid'],
    ['ETLS', 'Error initiating TLS'],
  ])('%s -> retryable SMTP_UNAVAILABLE', (code, message) => {
    const err = classifySmtpError(smtpError(message, { code, command: 'CONN' }));
    expect(err).toBeInstanceOf(RetryableJobError);
    expect(err.code).toBe('SMTP_UNAVAILABLE');
    expect(err.message).toContain(message);
    expect(err.message).toContain(code);
  });

  it('a greeting the server refuses with 554 is unavailability, not a verdict on the message', () => {
    const err = classifySmtpError(
      smtpError('Invalid greeting. response=554 go away', {
        code: 'EPROTOCOL',
        response: '554 go away',
        command: 'CONN',
      }),
    );
    expect(err).toBeInstanceOf(RetryableJobError);
    expect(err.code).toBe('SMTP_UNAVAILABLE');
    expect(err.message).toContain('554 go away');
  });

  it('a failed login is retryable (the service is misconfigured, the message is fine)', () => {
    const err = classifySmtpError(
      smtpError('Invalid login', {
        code: 'EAUTH',
        response: '535 5.7.8 bad credentials',
        command: 'AUTH PLAIN',
      }),
    );
    expect(err.retryable).toBe(true);
    expect(err.code).toBe('SMTP_UNAVAILABLE');
  });

  it('421 (service closing) -> retryable SMTP_UNAVAILABLE', () => {
    const err = classifySmtpError(
      smtpError('Recipient command failed', {
        code: 'EENVELOPE',
        response: '421 4.3.2 shutting down',
        command: 'RCPT TO',
      }),
    );
    expect(err.retryable).toBe(true);
    expect(err.code).toBe('SMTP_UNAVAILABLE');
  });

  it.each([
    ['451 4.3.0 try again later', 'RCPT TO', 'EENVELOPE'],
    ['452 4.2.2 mailbox full', 'DATA', 'EMESSAGE'],
    ['450 greylisted', 'MAIL FROM', 'EENVELOPE'],
    ['503 5.5.1 bad sequence of commands', 'DATA', 'EENVELOPE'],
  ])('%s -> retryable SMTP_TRANSIENT with the reply in the message', (response, command, code) => {
    const err = classifySmtpError(smtpError('Message failed', { code, response, command }));
    expect(err).toBeInstanceOf(RetryableJobError);
    expect(err.code).toBe('SMTP_TRANSIENT');
    expect(err.message).toContain(response);
  });

  it.each([
    ['550 5.1.1 no such user', 'RCPT TO', 'EENVELOPE'],
    ['552 5.3.4 message too big', 'DATA', 'EMESSAGE'],
    ['554 5.7.1 rejected as spam', 'DATA', 'EMESSAGE'],
    ['553 sender not allowed', 'MAIL FROM', 'EENVELOPE'],
  ])('%s -> permanent SMTP_REJECTED with the reply in the message', (response, command, code) => {
    const err = classifySmtpError(
      smtpError("Can't send mail - all recipients were rejected", { code, response, command }),
    );
    expect(err).toBeInstanceOf(PermanentJobError);
    expect(err.code).toBe('SMTP_REJECTED');
    expect(err.message).toContain(response);
    // and the runtime reads it the same way, by code and retryable
    expect(classifyError(err)).toMatchObject({ code: 'SMTP_REJECTED', retryable: false });
  });

  it('adds the reply when the message does not carry it yet', () => {
    const err = classifySmtpError(
      Object.assign(new Error('Data command failed'), {
        code: 'EENVELOPE',
        response: '550 nope',
        responseCode: 550,
      }),
    );
    expect(err.message).toBe(
      'SMTP server rejected the message: Data command failed: 550 nope [EENVELOPE]',
    );
  });

  it('envelope errors found before talking to the server are permanent MAIL_INVALID', () => {
    const err = classifySmtpError(
      smtpError('No recipients defined', { code: 'EENVELOPE', command: 'API' }),
    );
    expect(err).toBeInstanceOf(PermanentJobError);
    expect(err.code).toBe('MAIL_INVALID');
  });

  it('EABORT -> retryable SMTP_ABORTED', () => {
    const err = classifySmtpError(
      Object.assign(new Error('Message sending aborted'), { code: 'EABORT' }),
    );
    expect(err.retryable).toBe(true);
    expect(err.code).toBe('SMTP_ABORTED');
  });

  it('anything unknown is retryable, and keeps the cause', () => {
    const cause = new Error('something odd');
    const err = classifySmtpError(cause);
    expect(err).toBeInstanceOf(RetryableJobError);
    expect(err.code).toBe('SMTP_TRANSIENT');
    expect(err.cause).toBe(cause);
    expect(classifySmtpError('a string').message).toContain('a string');
  });
});
