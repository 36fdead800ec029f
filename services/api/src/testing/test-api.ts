import { LANES, topology } from '@conveyor/contracts';
import { declareBuiltinQueues } from '@conveyor/jobs/store';
import { bootService, closeRuntime, type Env } from '@conveyor/platform';
import { infra, mongoUrlForDb, uniqueName } from '@conveyor/testkit';
import { createApp } from '../app.js';
import { signToken, type TokenClaims } from '../auth/sign.js';
import { apiConfig } from '../config.js';
import { createApiDeps, type ApiDeps } from '../deps.js';
import { startHttpServer } from '../http/server.js';

/** The secret test APIs sign and verify with. */
export const TEST_JWT_SECRET = 'test-secret-for-conveyor-api-integration-0123';

/** An API running in-process against the real servers, on its own prefix and database. */
export interface TestApi {
  baseUrl: string;
  deps: ApiDeps;
  /** A valid token for `claims` (options: other secret / audience / ttl, for negative tests). */
  token(
    claims: TokenClaims,
    opts?: { secret?: string; audience?: string; ttlSeconds?: number },
  ): Promise<string>;
  /** `fetch` relative to the API with a bearer token. */
  call(path: string, token: string | null, init?: RequestInit): Promise<Response>;
  /** Jobs in the database right now. */
  jobCount(): Promise<number>;
  close(): Promise<void>;
}

/**
 * Starts an API on port 0 with a unique `CONVEYOR_PREFIX` and database; `env` overrides
 * variables (e.g. a low `RATE_LIMIT_PER_MINUTE`). `close()` deletes its queues, exchanges and
 * database and closes everything.
 */
export async function startTestApi(env: Env = {}): Promise<TestApi> {
  const { rabbitmqUrl, mongoUrl } = await infra();
  const name = uniqueName('api');
  const config = apiConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    RABBITMQ_URL: rabbitmqUrl,
    MONGO_URL: mongoUrlForDb(mongoUrl, name.replace(/-/g, '_')),
    CONVEYOR_PREFIX: name,
    PORT: '0',
    METRICS_PORT: '0',
    METRICS_HOST: '127.0.0.1',
    JWT_SECRET: TEST_JWT_SECRET,
    ...env,
  });
  const rt = await bootService('api', config, {
    declare: (ch) => declareBuiltinQueues(ch, topology(config.CONVEYOR_PREFIX)),
  });
  const deps = await createApiDeps(rt, config);
  const http = await startHttpServer(createApp(deps), 0, '127.0.0.1');
  const baseUrl = `http://127.0.0.1:${http.port}`;
  rt.lifecycle.onClose('stop http listener', () => http.stopAccepting());
  rt.lifecycle.onClose('end event streams', () => deps.hub.stop());
  rt.lifecycle.onClose('write buffered timeline events', () => deps.timeline.close());
  rt.lifecycle.onClose('drain http requests', () => http.drain(1000));
  rt.lifecycle.onClose('delete test topology', () =>
    rt.amqp.withChannel(async (ch) => {
      deps.core.catalogue.invalidate();
      const groups = new Set((await deps.core.catalogue.records()).map((r) => r.entry.queue));
      const queues = [
        ...[...groups].flatMap((s) => LANES.map((l) => rt.topology.queues.work(s, l))),
        rt.topology.queues.dead,
        rt.topology.queues.timeline,
      ];
      for (const q of queues) await ch.deleteQueue(q);
      for (const x of Object.values(rt.topology.exchanges)) await ch.deleteExchange(x);
    }),
  );
  rt.lifecycle.onClose('mark dispatched jobs published', () => deps.dispatcher.flush());
  rt.lifecycle.onClose('drop test database', async () => {
    await rt.mongo.dropDatabase();
  });
  closeRuntime(rt);

  return {
    baseUrl,
    deps,
    token: (claims, opts = {}) =>
      signToken(claims, {
        secret: opts.secret ?? TEST_JWT_SECRET,
        issuer: config.JWT_ISSUER,
        audience: opts.audience ?? config.JWT_AUDIENCE,
        ...(opts.ttlSeconds !== undefined ? { ttlSeconds: opts.ttlSeconds } : {}),
      }),
    call: (path, token, init = {}) => {
      const headers = new Headers(init.headers);
      if (token !== null) headers.set('authorization', `Bearer ${token}`);
      if (typeof init.body === 'string' && !headers.has('content-type'))
        headers.set('content-type', 'application/json');
      return fetch(`${baseUrl}${path}`, { ...init, headers });
    },
    jobCount: () => deps.repo.model.countDocuments({}),
    close: async () => {
      await rt.lifecycle.close();
    },
  };
}
