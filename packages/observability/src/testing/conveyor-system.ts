import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import {
  infra,
  mongoUrlForDb,
  startService,
  uniqueName,
  type ServiceProcess,
} from '@conveyor/testkit';
import { REPO_ROOT } from '../repo-paths.js';

/** HS256 secret of the test API and its tokens. */
const TEST_JWT_SECRET = 'observability-test-secret-0123456789abcdef';

/** The four services running as real processes on one unique prefix and database. */
export interface ConveyorSystem {
  readonly prefix: string;
  readonly api: ServiceProcess;
  readonly mailer: ServiceProcess;
  readonly processor: ServiceProcess;
  readonly scheduler: ServiceProcess;
  readonly smtpCatcherUrl: string;
  /** `http://127.0.0.1:<api port>` */
  readonly apiUrl: string;
  /** A development token for `sub`. */
  token(sub: string): Promise<string>;
  /** JSON request to the API with a bearer token. */
  call(path: string, token: string, init?: RequestInit): Promise<Response>;
  stop(): Promise<void>;
}

/**
 * Starts api, mailer, processor and scheduler against the test infrastructure
 * (`pnpm infra:up`), isolated by a unique RabbitMQ prefix and MongoDB database. `env` is
 * added to every service's environment (e.g. OTEL_EXPORTER_OTLP_ENDPOINT).
 */
export async function startConveyorSystem(
  env: Record<string, string> = {},
): Promise<ConveyorSystem> {
  const { rabbitmqUrl, mongoUrl, smtpCatcherUrl } = await infra();
  if (!smtpCatcherUrl)
    throw new Error('SMTP_CATCHER_URL is not set: run `pnpm infra:up` and load .infra/env');
  const prefix = uniqueName('obs');
  const common = {
    RABBITMQ_URL: rabbitmqUrl,
    MONGO_URL: mongoUrlForDb(mongoUrl, prefix.replace(/[^a-z0-9]/gi, '_')),
    CONVEYOR_PREFIX: prefix,
    LOG_LEVEL: 'info',
    ...env,
  };
  const started: ServiceProcess[] = [];
  const start = async (
    name: 'api' | 'mailer' | 'processor' | 'scheduler',
    extra: Record<string, string>,
  ) => {
    const p = await startService(name, { ...common, ...extra });
    started.push(p);
    return p;
  };
  try {
    const workerEnv = { RETRY_BASE_MS: '200', RETRY_MAX_MS: '1000' };
    const api = await start('api', { JWT_SECRET: TEST_JWT_SECRET });
    const mailer = await start('mailer', {
      ...workerEnv,
      SMTP_URL: smtpUrl(),
    });
    // n.b. the load's webhook receiver listens on loopback, which webhooks may not reach by default
    const processor = await start('processor', {
      ...workerEnv,
      WEBHOOK_ALLOW_CIDRS: '127.0.0.1/32',
    });
    const scheduler = await start('scheduler', { DIGEST_CRON: 'off', OUTBOX_GRACE_MS: '2000' });
    const apiUrl = `http://127.0.0.1:${api.httpPort}`;
    return {
      prefix,
      api,
      mailer,
      processor,
      scheduler,
      smtpCatcherUrl,
      apiUrl,
      async token(sub) {
        const { stdout } = await promisify(execFile)(
          process.execPath,
          [
            resolve(REPO_ROOT, 'services/api/dist/auth/token-cli.js'),
            '--sub',
            sub,
            '--email',
            `${sub}@example.com`,
          ],
          { env: { ...process.env, JWT_SECRET: TEST_JWT_SECRET } },
        );
        return stdout.trim();
      },
      call(path, token, init = {}) {
        return fetch(`${apiUrl}${path}`, {
          ...init,
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
            ...(init.headers as Record<string, string> | undefined),
          },
        });
      },
      async stop() {
        await Promise.all(started.map((p) => p.stop('SIGTERM')));
      },
    };
  } catch (err) {
    await Promise.all(started.map((p) => p.stop('SIGKILL').catch(() => null)));
    throw err;
  }
}

/** The SMTP catcher's SMTP endpoint, from SMTP_URL (written by `pnpm infra:up`). */
function smtpUrl(): string {
  const url = process.env.SMTP_URL;
  if (!url) throw new Error('SMTP_URL is not set: run `pnpm infra:up` and load .infra/env');
  return url;
}
