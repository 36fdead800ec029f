import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createHmac, randomBytes } from 'node:crypto';
import { startSmtpCatcher, type CaughtWebhook, type SmtpCatcher } from './index.js';

let catcher: SmtpCatcher;

beforeAll(async () => {
  catcher = await startSmtpCatcher({ smtpPort: 0, httpPort: 0 });
});

afterAll(async () => {
  await catcher?.close();
});

beforeEach(async () => {
  await fetch(`${catcher.httpUrl}/api/webhooks`, { method: 'DELETE' });
});

const secret = `whsec_${randomBytes(24).toString('base64')}`;

/** Posts `body` signed as Conveyor's webhook.deliver signs it. */
async function postSigned(path: string, body: string, signWith = secret): Promise<Response> {
  const id = `msg_${randomBytes(6).toString('hex')}`;
  const timestamp = String(Math.floor(Date.now() / 1000));
  const key = Buffer.from(signWith.replace(/^whsec_/, ''), 'base64');
  const signature = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
  return fetch(`${catcher.httpUrl}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': timestamp,
      'webhook-signature': `v1,${signature}`,
    },
    body,
  });
}

const list = async (query = ''): Promise<CaughtWebhook[]> =>
  (await (await fetch(`${catcher.httpUrl}/api/webhooks${query}`)).json()) as CaughtWebhook[];

describe('the webhook receiver', () => {
  it('keeps each POST under /webhooks/ with its headers and raw body', async () => {
    const res = await postSigned('/webhooks/demo', '{"type":"invoice.paid"}');
    expect(res.status).toBe(200);
    const [caught, ...rest] = await list();
    expect(rest).toHaveLength(0);
    expect(caught).toMatchObject({
      path: '/webhooks/demo',
      body: '{"type":"invoice.paid"}',
      verified: null,
      headers: { 'content-type': 'application/json' },
    });
    expect(caught?.headers['webhook-signature']).toMatch(/^v1,/);
  });

  it('says whether each signature verifies with the secret given', async () => {
    await postSigned('/webhooks/a', '{"n":1}');
    await postSigned('/webhooks/b', '{"n":2}', `whsec_${randomBytes(24).toString('base64')}`);
    const checked = await list(`?secret=${encodeURIComponent(secret)}`);
    expect(checked.map((w) => [w.path, w.verified])).toEqual([
      ['/webhooks/a', true],
      ['/webhooks/b', false],
    ]);
  });

  it('reads a secret pasted into the query string unencoded (its + as spaces)', async () => {
    const plus = `whsec_${Buffer.from([0xfb, 0xef, 0xbe, 0xfb, 0xef, 0xbe]).toString('base64')}`;
    expect(plus).toContain('+');
    await postSigned('/webhooks/plus', '{"n":4}', plus);
    const [caught] = await list(`?secret=${plus}`);
    expect(caught?.verified).toBe(true);
  });

  it('shows the verdicts on the /webhooks page', async () => {
    await postSigned('/webhooks/page', '{"n":3}');
    const page = await (
      await fetch(`${catcher.httpUrl}/webhooks?secret=${encodeURIComponent(secret)}`)
    ).text();
    expect(page).toContain('/webhooks/page');
    expect(page).toContain('<td>verified</td>');
    const wrong = await (await fetch(`${catcher.httpUrl}/webhooks?secret=whsec_AAAA`)).text();
    expect(wrong).toContain('does NOT verify');
  });
});
