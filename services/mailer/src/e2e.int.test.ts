import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import mongoose, { type Connection } from 'mongoose';
import { topology, type Priority, type Topology } from '@conveyor/contracts';
import { AmqpClient, createLogger, declareTopology } from '@conveyor/platform';
import {
  JobDispatcher,
  JobEvents,
  JobHousekeeping,
  JobRepository,
  type JobDoc,
} from '@conveyor/jobs';
import {
  infra,
  mongoUrlForDb,
  startService,
  uniqueName,
  waitFor,
  type ServiceProcess,
} from '@conveyor/testkit';
import {
  startSmtpTestServer,
  type SmtpReply,
  type SmtpTestServer,
} from './mail/smtp-test-server.js';

const log = createLogger('mailer-e2e', 'silent');
let conn: Connection;
let amqp: AmqpClient;
let topo: Topology;
let repo: JobRepository;
let dispatcher: JobDispatcher;
let smtp: SmtpTestServer;
let env: Record<string, string>;
let housekeeping: JobHousekeeping;
/** Per-recipient SMTP replies the test server gives (undefined = accept). */
let rcptReply: (address: string) => SmtpReply | undefined = () => undefined;
const procs: ServiceProcess[] = [];

const subjectOf = (raw: Buffer) => /^Subject: (.*)$/m.exec(raw.toString('utf8'))?.[1]?.trim();

async function submitEmail(
  subject: string,
  priority: Priority,
  to = 'someone@example.com',
): Promise<JobDoc> {
  const { job } = await repo.create({
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
  const { rabbitmqUrl, mongoUrl } = await infra();
  const prefix = uniqueName('mail');
  const mongoDb = mongoUrlForDb(mongoUrl, prefix);
  smtp = await startSmtpTestServer({ onRcptTo: (address) => rcptReply(address) });
  env = {
    RABBITMQ_URL: rabbitmqUrl,
    MONGO_URL: mongoDb,
    CONVEYOR_PREFIX: prefix,
    SMTP_URL: `${smtp.url}?starttls=never`,
    MAIL_RATE_PER_SECOND: '0',
    CONCURRENCY: '4',
    RETRY_BASE_MS: '200',
    RETRY_MAX_MS: '500',
  };
  conn = await mongoose.createConnection(mongoDb).asPromise();
  topo = topology(prefix);
  amqp = new AmqpClient({
    url: rabbitmqUrl,
    name: 'mail-e2e',
    log,
    setup: (ch) => declareTopology(ch, topo),
  });
  await amqp.start();
  repo = new JobRepository(conn);
  await repo.ensureIndexes();
  dispatcher = new JobDispatcher(amqp, topo, repo, log);
  housekeeping = new JobHousekeeping(repo, dispatcher, new JobEvents(amqp, topo, log), log);
});

afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop('SIGKILL')));
  await amqp.withChannel(async (ch) => {
    for (const s of ['processor', 'mailer'] as const)
      for (const lane of ['standard', 'priority'] as const)
        await ch.deleteQueue(topo.queues.work(s, lane));
    await ch.deleteQueue(topo.queues.dead);
  });
  await amqp.close();
  await smtp.close();
  await conn.dropDatabase();
  await conn.close();
});

describe('mailer service end to end', () => {
  it('delivers an urgent email among the first few, ahead of a backlog of 500 low ones', async () => {
    const low: JobDoc[] = [];
    for (let i = 0; i < 500; i++) low.push(await submitEmail(`digest ${i}`, 'low'));
    await dispatcher.dispatchMany(low);
    const urgent = await submitEmail('password reset', 'urgent');
    await dispatcher.dispatch(urgent);

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
    const done = await repo.get(urgent._id.toHexString());
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
    await dispatcher.dispatchMany([flaky, gone]);
    await waitFor(
      async () => {
        await housekeeping.promoteDue(); // the scheduler's promoter, run here
        const [f, g] = await Promise.all([
          repo.get(flaky._id.toHexString()),
          repo.get(gone._id.toHexString()),
        ]);
        return f?.status === 'succeeded' && g?.status === 'failed';
      },
      { timeoutMs: 30_000, intervalMs: 200, what: 'flaky sent after a retry, gone failed' },
    );
    const f = (await repo.get(flaky._id.toHexString()))!;
    const g = (await repo.get(gone._id.toHexString()))!;
    expect(f.attempts).toBe(2);
    expect(smtp.messages.filter((m) => subjectOf(m.raw) === 'flaky')).toHaveLength(1);
    expect(g.attempts).toBe(1);
    expect(g.error).toMatchObject({ code: 'SMTP_REJECTED', retryable: false });
    expect(g.error?.message).toContain('5.1.1 mailbox unavailable');
    expect(smtp.messages.filter((m) => subjectOf(m.raw) === 'gone')).toHaveLength(0);
  });
});
