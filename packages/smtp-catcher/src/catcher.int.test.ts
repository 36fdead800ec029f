import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { connect, type Socket } from 'node:net';
import { startSmtpCatcher, type CaughtMessage, type SmtpCatcher } from './index.js';

interface Reply {
  code: number;
  text: string;
}

/**
 * The smallest honest SMTP client: one command, one (possibly multi-line) reply. Written
 * by hand so the test speaks the protocol over a real socket without a mail library.
 */
class SmtpDialog {
  #buffer = '';
  #waiting: ((reply: Reply) => void) | undefined;
  #replies: Reply[] = [];

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (data: string) => {
      this.#buffer += data;
      // A reply ends with the line whose code is followed by a space ("250 ok").
      let match: RegExpExecArray | null;
      while ((match = /^(?:\d{3}-[^\r\n]*\r\n)*(\d{3}) ([^\r\n]*)\r\n/.exec(this.#buffer))) {
        this.#buffer = this.#buffer.slice(match[0].length);
        this.#replies.push({ code: Number(match[1]), text: match[0] });
      }
      this.#deliver();
    });
  }

  static open(port: number): Promise<SmtpDialog> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => resolve(new SmtpDialog(socket)));
      socket.once('error', reject);
    });
  }

  #deliver(): void {
    const reply = this.#replies[0];
    if (reply && this.#waiting) {
      this.#replies.shift();
      const waiting = this.#waiting;
      this.#waiting = undefined;
      waiting(reply);
    }
  }

  reply(): Promise<Reply> {
    return new Promise((resolve) => {
      this.#waiting = resolve;
      this.#deliver();
    });
  }

  send(line: string): Promise<Reply> {
    this.socket.write(`${line}\r\n`);
    return this.reply();
  }

  close(): void {
    this.socket.end();
  }
}

async function sendMail(
  port: number,
  mail: { from: string; to: string[]; data: string },
): Promise<{ rcpt: Reply[]; data?: Reply }> {
  const smtp = await SmtpDialog.open(port);
  try {
    expect((await smtp.reply()).code).toBe(220);
    expect((await smtp.send('EHLO test.local')).code).toBe(250);
    expect((await smtp.send(`MAIL FROM:<${mail.from}>`)).code).toBe(250);
    const rcpt: Reply[] = [];
    for (const to of mail.to) rcpt.push(await smtp.send(`RCPT TO:<${to}>`));
    if (!rcpt.some((reply) => reply.code === 250)) return { rcpt };
    expect((await smtp.send('DATA')).code).toBe(354);
    // n.b. dot-stuffing: a body line starting with "." must be sent as "..".
    const body = mail.data.replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..');
    const data = await smtp.send(`${body}\r\n.`);
    await smtp.send('QUIT');
    return { rcpt, data };
  } finally {
    smtp.close();
  }
}

function message(subject: string, to: string): string {
  return [
    'From: "Conveyor" <noreply@conveyor.test>',
    `To: ${to}`,
    'Cc: audit@conveyor.test',
    `Subject: ${subject}`,
    'Message-ID: <abc123@conveyor.test>',
    'X-Conveyor-Job-Id: job-42',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Hello from the catcher test.',
    '.leading dot survives',
  ].join('\r\n');
}

describe('smtp-catcher', () => {
  let catcher: SmtpCatcher;
  const api = (path: string, init?: RequestInit): Promise<Response> =>
    fetch(`${catcher.httpUrl}${path}`, init);

  beforeAll(async () => {
    catcher = await startSmtpCatcher({ smtpPort: 0, httpPort: 0 });
  });
  afterAll(async () => {
    await catcher.close();
  });
  beforeEach(async () => {
    await api('/api/messages', { method: 'DELETE' });
    await api('/api/faults', { method: 'DELETE' });
  });

  it('binds real ports when asked for port 0', () => {
    expect(catcher.smtpPort).toBeGreaterThan(0);
    expect(catcher.httpPort).toBeGreaterThan(0);
    expect(catcher.smtpPort).not.toBe(catcher.httpPort);
  });

  it('keeps a sent message and serves it parsed, raw and in the HTML page', async () => {
    const subject = 'Welcome <script>alert(1)</script> & more';
    const { data } = await sendMail(catcher.smtpPort, {
      from: 'bounce@conveyor.test',
      to: ['alice@example.com'],
      data: message(subject, 'Alice <alice@example.com>'),
    });
    expect(data?.code).toBe(250);

    const list = (await (await api('/api/messages')).json()) as CaughtMessage[];
    expect(list).toHaveLength(1);
    const [caught] = list;
    expect(caught).toMatchObject({
      envelope: { from: 'bounce@conveyor.test', to: ['alice@example.com'] },
      from: 'noreply@conveyor.test',
      to: ['alice@example.com'],
      cc: ['audit@conveyor.test'],
      subject,
      messageId: '<abc123@conveyor.test>',
      html: null,
    });
    expect(caught?.headers['x-conveyor-job-id']).toBe('job-42');
    expect(caught?.text).toContain('Hello from the catcher test.');
    expect(caught?.text).toContain('\n.leading dot survives');

    const byId = await api(`/api/messages/${caught?.id}`);
    expect(((await byId.json()) as CaughtMessage).subject).toBe(subject);
    const raw = await (await api(`/api/messages/${caught?.id}/raw`)).text();
    expect(raw).toContain(`Subject: ${subject}\r\n`);

    const filtered = (await (await api('/api/messages?to=ALICE@example.com')).json()) as unknown[];
    expect(filtered).toHaveLength(1);
    expect((await (await api('/api/messages?to=bob@example.com')).json()) as unknown[]).toEqual([]);

    const page = await (await api('/')).text();
    expect(page).toContain('Welcome &lt;script&gt;alert(1)&lt;/script&gt; &amp; more');
    expect(page).not.toContain('<script>');

    expect((await api('/api/messages', { method: 'DELETE' })).status).toBe(204);
    expect(await (await api('/api/messages')).json()).toEqual([]);
    expect((await api(`/api/messages/${caught?.id}`)).status).toBe(404);
  });

  it('answers RCPT TO with an injected 550 for the configured recipient, n times', async () => {
    const created = await api('/api/faults', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        rcptTo: 'Gone@Example.com',
        code: 550,
        message: 'No such user',
        times: 1,
      }),
    });
    expect(created.status).toBe(201);

    const first = await sendMail(catcher.smtpPort, {
      from: 'bounce@conveyor.test',
      to: ['gone@example.com', 'alice@example.com'],
      data: message('partly rejected', 'gone@example.com, alice@example.com'),
    });
    expect(first.rcpt.map((reply) => reply.code)).toEqual([550, 250]);
    expect(first.rcpt[0]?.text).toContain('No such user');
    expect(first.data?.code).toBe(250);
    const [kept] = (await (await api('/api/messages')).json()) as CaughtMessage[];
    expect(kept?.envelope.to).toEqual(['alice@example.com']);

    const second = await sendMail(catcher.smtpPort, {
      from: 'bounce@conveyor.test',
      to: ['gone@example.com'],
      data: message('accepted again', 'gone@example.com'),
    });
    expect(second.rcpt.map((reply) => reply.code)).toEqual([250]);
    expect(await (await api('/api/faults')).json()).toEqual([]);
  });

  it('fails DATA with an injected 451 and does not keep that message', async () => {
    await api('/api/faults', {
      method: 'POST',
      body: JSON.stringify({ rcptTo: '*', code: 451, stage: 'data', times: 1 }),
    });
    const failed = await sendMail(catcher.smtpPort, {
      from: 'bounce@conveyor.test',
      to: ['alice@example.com'],
      data: message('transient failure', 'alice@example.com'),
    });
    expect(failed.data?.code).toBe(451);
    expect(await (await api('/api/messages')).json()).toEqual([]);

    const retried = await sendMail(catcher.smtpPort, {
      from: 'bounce@conveyor.test',
      to: ['alice@example.com'],
      data: message('transient failure', 'alice@example.com'),
    });
    expect(retried.data?.code).toBe(250);
    expect((await (await api('/api/messages')).json()) as unknown[]).toHaveLength(1);
  });

  it('rejects an invalid fault with 400 and an explanation', async () => {
    const response = await api('/api/faults', {
      method: 'POST',
      body: JSON.stringify({ rcptTo: '*', code: 250 }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: 'code must be an SMTP error code between 400 and 599',
    });
  });
});
