import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createServer, type AddressInfo } from 'node:net';
import { infra, mongoUrlForDb, uniqueName, waitFor } from './index.js';

const VARIABLES = ['RABBITMQ_URL', 'MONGO_URL', 'SMTP_CATCHER_URL', 'RABBITMQ_MANAGEMENT_URL'];

describe('infra()', () => {
  let saved: Record<string, string | undefined>;

  beforeEach(() => {
    saved = Object.fromEntries(VARIABLES.map((name) => [name, process.env[name]]));
  });
  afterEach(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it('rejects loudly when RABBITMQ_URL does not answer', async () => {
    process.env.RABBITMQ_URL = 'amqp://guest:secret@127.0.0.1:1';
    const failure = infra();
    await expect(failure).rejects.toThrow(/RABBITMQ_URL=amqp:\/\/guest:\*\*\*@127\.0\.0\.1:1 /);
    await expect(failure).rejects.toThrow(
      'start the local infrastructure with `pnpm infra:up` (see README)',
    );
    await expect(failure).rejects.not.toThrow('secret');
  });

  it('rejects loudly when MONGO_URL does not answer', async () => {
    process.env.MONGO_URL = 'mongodb://127.0.0.1:1/conveyor';
    const failure = infra();
    await expect(failure).rejects.toThrow('MONGO_URL=mongodb://127.0.0.1:1/conveyor');
    await expect(failure).rejects.toThrow('`pnpm infra:up`');
  });

  it('accepts any server listening behind MONGO_URL', async () => {
    const server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      process.env.MONGO_URL = `mongodb://127.0.0.1:${port}/conveyor`;
      await expect(infra()).resolves.toMatchObject({ mongoUrl: process.env.MONGO_URL });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('resolves real, answering servers (from the environment when it is set)', async () => {
    const resolved = await infra();
    expect(resolved.rabbitmqUrl).toMatch(/^amqps?:\/\//);
    expect(resolved.mongoUrl).toMatch(/^mongodb:\/\//);
    // n.b. variables that are set must be used as given; unset ones came from containers.
    expect(resolved.rabbitmqUrl).toBe(process.env.RABBITMQ_URL ?? resolved.rabbitmqUrl);
    expect(resolved.mongoUrl).toBe(process.env.MONGO_URL ?? resolved.mongoUrl);
    expect(resolved.smtpCatcherUrl).toBe(process.env.SMTP_CATCHER_URL);
    if (resolved.smtpCatcherUrl !== undefined) {
      expect((await fetch(`${resolved.smtpCatcherUrl}/healthz`)).status).toBe(200);
    }
  });

  it('drives the broker through rabbitmqctl', async () => {
    const { rabbitmqctl: ctl } = await infra();
    if (!ctl) throw new Error('infra() gave no rabbitmqctl for this broker');
    const vhosts = await ctl(['list_vhosts', '--quiet', '--no-table-headers']);
    expect(vhosts.split('\n').map((line) => line.trim())).toContain('/');
    await expect(ctl(['no_such_command'])).rejects.toThrow(/rabbitmqctl no_such_command failed/);
  });
});

describe('helpers', () => {
  it('uniqueName is unique and safe for queue and database names', () => {
    const names = new Set(Array.from({ length: 100 }, () => uniqueName('Mailer Test.Queue$')));
    expect(names.size).toBe(100);
    for (const name of names) {
      expect(name).toMatch(/^mailer-test-queue-[a-z0-9_-]+$/);
      expect(name.length).toBeLessThanOrEqual(48);
    }
  });

  it('mongoUrlForDb replaces only the database path', () => {
    expect(mongoUrlForDb('mongodb://127.0.0.1:27017/conveyor', 'jobs_1')).toBe(
      'mongodb://127.0.0.1:27017/jobs_1',
    );
    expect(mongoUrlForDb('mongodb://u:p@a:1,b:2/?replicaSet=rs0', 'x')).toBe(
      'mongodb://u:p@a:1,b:2/x?replicaSet=rs0',
    );
    expect(mongoUrlForDb('mongodb://h', 'x')).toBe('mongodb://h/x');
    expect(() => mongoUrlForDb('mongodb://h/db', 'a.b')).toThrow('database name');
    expect(() => mongoUrlForDb('amqp://h', 'x')).toThrow('not a mongodb:// URL');
  });

  it('waitFor resolves the first truthy value and names what timed out', async () => {
    let calls = 0;
    await expect(waitFor(() => (++calls >= 3 ? calls : false), { intervalMs: 5 })).resolves.toBe(3);
    await expect(
      waitFor(
        () => {
          throw new Error('not yet');
        },
        { timeoutMs: 50, intervalMs: 10, what: 'the email to arrive' },
      ),
    ).rejects.toThrow(
      'Timed out after 50 ms waiting for the email to arrive (last error: not yet)',
    );
  });
});
