import { describe, expect, it } from '@jest/globals';
import {
  DIGEST_FIXTURE,
  metricValue,
  received,
  runHandler,
  useMailerTestRigs,
} from './mailer-test-rig.js';

const t = useMailerTestRigs();

describe('email.template', () => {
  it('renders the template into text and HTML parts, escaping user data in HTML', async () => {
    const server = await t.rigs.smtpServer();
    const r = await t.rigs.rig(server.url, {
      MAIL_SUBJECT_WELCOME: 'Hi {{name}}, welcome to {{product}}',
    });
    const result = await runHandler(
      r,
      'email.template',
      {
        to: 'Ann <ann@example.com>',
        template: 'welcome',
        data: {
          name: 'Ann <script>alert(1)</script>',
          product: 'Acme',
          loginUrl: 'https://acme.example.com/login',
        },
      },
      t.jobId,
    );
    const mail = await received(server);
    expect(mail.subject).toBe('Hi Ann <script>alert(1)</script>, welcome to Acme');
    expect(mail.text).toContain('Welcome, Ann <script>alert(1)</script>!');
    expect(mail.html).toContain('Welcome, Ann &lt;script&gt;alert(1)&lt;/script&gt;!');
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).toContain('href="https://acme.example.com/login"');
    expect(mail.messageId).toBe(`<job-${t.jobId}@conveyor.local>`);
    expect(result).toMatchObject({
      messageId: `<job-${t.jobId}@conveyor.local>`,
      accepted: ['ann@example.com'],
    });
    expect((await r.deliveries.findByJobId(t.jobId))?.template).toBe('welcome');
    expect(await metricValue(r, 'conveyor_mail_sent_total', { template: 'welcome' })).toBe(1);
  });
});

describe('email.digest', () => {
  it("counts the owner's jobs over the period, sends the digest and returns the counts", async () => {
    const server = await t.rigs.smtpServer();
    const r = await t.rigs.rig(server.url);
    const before = Date.now();
    const result = await runHandler(
      r,
      'email.digest',
      { owner: 'alice', to: 'alice@example.com', periodHours: 48 },
      t.jobId,
    );

    expect(r.countJobsCalls).toHaveLength(1);
    const call = r.countJobsCalls[0];
    expect(call?.owner).toBe('alice');
    const expectedSince = before - 48 * 3_600_000;
    expect(Math.abs((call?.since.getTime() ?? 0) - expectedSince)).toBeLessThan(5_000);

    const mail = await received(server);
    expect(mail.subject).toBe('Conveyor digest: 2 failed, 3 pending');
    expect(mail.text).toContain('Your jobs in the last 2 days');
    expect(mail.text).toMatch(/Pending: +3/);
    expect(mail.text).toContain('- job-a data.process: step 2: <b>bad</b> field');
    expect(mail.html).toContain('step 2: &lt;b&gt;bad&lt;/b&gt; field');
    expect(result).toMatchObject({
      counts: DIGEST_FIXTURE.counts,
      accepted: ['alice@example.com'],
    });

    // a redelivery returns the same counts without counting or sending again
    const again = await runHandler(
      r,
      'email.digest',
      { owner: 'alice', to: 'alice@example.com', periodHours: 48 },
      t.jobId,
    );
    expect(again).toEqual(result);
    expect(r.countJobsCalls).toHaveLength(1);
    expect(server.count).toBe(1);
  });

  it("refuses a digest of another owner's jobs: nothing counted, nothing sent", async () => {
    const server = await t.rigs.smtpServer();
    const r = await t.rigs.rig(server.url);
    // the job is alice's; its payload asks for bob's jobs (the API refuses this, the worker too)
    await expect(
      runHandler(
        r,
        'email.digest',
        { owner: 'bob', to: 'alice@example.com', periodHours: 24 },
        t.jobId,
      ),
    ).rejects.toMatchObject({ name: 'PermanentJobError', code: 'DIGEST_OWNER_MISMATCH' });
    expect(r.countJobsCalls).toHaveLength(0);
    expect(server.count).toBe(0);
  });
});
