import { inertContext } from '@conveyor/jobs/testing';
/**
 * The mailer wired as main.ts wires it, for the integration tests: real SMTP servers
 * (smtp-server), real MongoDB (testkit's `infra()`), handlers called directly with a
 * hand-built job context. Test support only (dev dependencies); nothing the service runs
 * imports it.
 */
import { afterAll, afterEach, beforeAll, beforeEach } from '@jest/globals';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import mongoose, { type Connection } from 'mongoose';
import { Registry } from 'prom-client';
import type { HandlerRegistration, JobContext } from '@conveyor/jobs';
import { createLogger } from '@conveyor/platform';
import { infra, mongoUrlForDb, sampleValue, uniqueName } from '@conveyor/testkit';
import { mailerHandlers, type CountJobs } from './index.js';
import { parseMailConfig } from '../mail/config.js';
import { createMailTransport, type MailTransport } from '../mail/transport.js';
import { DeliveryRepository } from '../deliveries/delivery.repository.js';
import type { AttachmentSources } from '../mail/attachments.js';
import { createMailerMetrics } from '../metrics.js';
import {
  startSmtpTestServer,
  type SmtpTestServer,
  type SmtpTestServerOptions,
} from '../mail/smtp-test-server.js';

const log = createLogger('mailer-test', 'silent');

/** A database of its own, dropped by `drop()`. */
export async function openTestDatabase(): Promise<{ conn: Connection; drop(): Promise<void> }> {
  const { mongoUrl } = await infra();
  const dbName = uniqueName('mailer-int').replace(/-/g, '_');
  const conn = await mongoose.createConnection(mongoUrlForDb(mongoUrl, dbName)).asPromise();
  return {
    conn,
    async drop() {
      await conn.dropDatabase();
      await conn.close();
    },
  };
}

/** One wired mailer against one SMTP URL. */
export interface Rig {
  readonly transport: MailTransport;
  readonly deliveries: DeliveryRepository;
  readonly registry: Registry;
  readonly handlers: HandlerRegistration[];
  /** Every call the digest handler made to `countJobs`. */
  readonly countJobsCalls: { owner: string; since: Date }[];
}

/** What the digest's `countJobs` reports in these tests. */
export const DIGEST_FIXTURE: Awaited<ReturnType<CountJobs>> = {
  counts: { pending: 3, running: 1, failed: 2, succeeded: 40 },
  failedJobs: [
    { id: 'job-a', type: 'data.process', error: 'step 2: <b>bad</b> field' },
    { id: 'job-b', type: 'email.send' },
  ],
};

/** Builds rigs and servers and closes all of them, newest first, in `cleanup()`. */
export class TestRigs {
  private cleanups: (() => Promise<void>)[] = [];

  constructor(readonly conn: Connection) {}

  async smtpServer(options: SmtpTestServerOptions = {}): Promise<SmtpTestServer> {
    const server = await startSmtpTestServer(options);
    this.cleanups.push(() => server.close());
    return server;
  }

  async rig(
    smtpUrl: string,
    env: Record<string, string> = {},
    attachments?: AttachmentSources,
  ): Promise<Rig> {
    const config = parseMailConfig({ SMTP_URL: smtpUrl, MAIL_RATE_PER_SECOND: '0', ...env });
    const transport = createMailTransport(config, { connectTimeoutMs: 2_000 });
    this.cleanups.push(() => transport.close());
    const deliveries = new DeliveryRepository(this.conn);
    await deliveries.ensureIndexes();
    const registry = new Registry();
    const metrics = createMailerMetrics(registry);
    const countJobsCalls: { owner: string; since: Date }[] = [];
    const countJobs: CountJobs = async (owner, since) => {
      countJobsCalls.push({ owner, since });
      return DIGEST_FIXTURE;
    };
    const handlers = mailerHandlers({
      transport,
      deliveries,
      countJobs,
      config,
      metrics,
      attachments,
    });
    return { transport, deliveries, registry, handlers, countJobsCalls };
  }

  async cleanup(): Promise<void> {
    for (const cleanup of this.cleanups.reverse()) await cleanup();
    this.cleanups = [];
  }
}

/**
 * Registers the hooks every mailer handler test file needs: a database of its own for the
 * file, a fresh job id per test, rigs and servers closed after each test. Read `rigs` and
 * `jobId` inside tests.
 */
export function useMailerTestRigs(): { readonly rigs: TestRigs; readonly jobId: string } {
  let db: Awaited<ReturnType<typeof openTestDatabase>> | undefined;
  let rigs: TestRigs | undefined;
  let jobId = '';
  beforeAll(async () => {
    db = await openTestDatabase();
    rigs = new TestRigs(db.conn);
  });
  afterAll(async () => {
    await db?.drop();
  });
  beforeEach(() => {
    jobId = testJobId();
  });
  afterEach(async () => {
    await rigs?.cleanup();
  });
  return {
    get rigs() {
      if (!rigs) throw new Error('mailer test rigs are only available inside tests');
      return rigs;
    },
    get jobId() {
      return jobId;
    },
  };
}

/** A job id unique to the test, usable as is in a Message-ID. */
export function testJobId(): string {
  return uniqueName('job').replace(/-/g, '');
}

/** Runs a handler the way the worker runtime does: one attempt with a fresh context. */
export async function runHandler(
  r: Rig,
  type: string,
  payload: unknown,
  jobId: string,
  attempt = 1,
): Promise<unknown> {
  const reg = r.handlers.find((h) => h.type.name === type);
  if (!reg) throw new Error(`no handler for ${type}`);
  const ctx: JobContext<unknown> = {
    job: {
      id: jobId,
      type,
      attempt,
      maxAttempts: 8,
      owner: 'alice',
      ownerEmail: 'alice@example.com',
      priority: 'normal',
      payload,
      createdAt: new Date(),
      scheduleId: null,
      correlationId: `corr-${jobId}`,
    },
    signal: new AbortController().signal,
    progress: () => undefined,
    log,
    ...inertContext(),
  };
  return (reg.handle as (c: JobContext<unknown>) => Promise<unknown>)(ctx);
}

/** The `index`-th message the server received, parsed. */
export async function received(server: SmtpTestServer, index = 0): Promise<ParsedMail> {
  const message = server.messages[index];
  if (!message) throw new Error(`no message #${index} arrived`);
  return simpleParser(message.raw);
}

/** `{name, address}` pairs of a parsed address header. */
export function addresses(
  field: AddressObject | AddressObject[] | undefined,
): { name: string; address: string | undefined }[] {
  const list = Array.isArray(field) ? field : field ? [field] : [];
  return list.flatMap((a) => a.value.map((v) => ({ name: v.name, address: v.address })));
}

/** Current value of a counter in the rig's registry (0 when the label set never counted). */
export async function metricValue(
  r: Rig,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  return sampleValue(await r.registry.metrics(), name, labels) ?? 0;
}
