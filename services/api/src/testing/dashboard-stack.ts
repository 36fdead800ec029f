import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { infra, mongoUrlForDb, startService, type ServiceProcess } from '@conveyor/testkit';
import { screenshotDir, seriousA11yViolations, startBrowser, type TestBrowser } from './browser.js';
import { startTestApi, TEST_JWT_SECRET, type TestApi } from './test-api.js';

export type DashboardUser = 'alice' | 'bob' | 'admin';

/**
 * The dashboard in a real Chromium against a running system: an API process serving /ui, a
 * processor and a scheduler, all on one test's own prefix and database, and an in-process test
 * API sharing them to sign tokens and seed data.
 */
export interface DashboardStack {
  stack: TestApi;
  api: ServiceProcess;
  processor: ServiceProcess;
  scheduler: ServiceProcess;
  browser: TestBrowser;
  /** `http://127.0.0.1:<port>` of the API process. */
  base: string;
  tokens: Record<DashboardUser, string>;
  /** A call to the in-process API as `who`, answering the parsed JSON and the status. */
  call<T>(
    who: DashboardUser,
    path: string,
    init?: RequestInit,
  ): Promise<{ status: number; body: T }>;
  /** Signs a new tab in as `who` and waits for the overview. */
  signIn(who: DashboardUser): Promise<Page>;
  /** Opens a route of the app afresh (a reload: view state is reset, the tab's token kept). */
  open(page: Page, route: string): Promise<void>;
  /** The serious or critical axe-core violations of the page; saves it as `<name>.png`. */
  scan(page: Page, name: string): Promise<unknown[]>;
  close(): Promise<void>;
}

/** Starts the processes, the browser and the test API; `close()` stops them all. */
export async function startDashboardStack(
  processorEnv: Record<string, string> = {},
): Promise<DashboardStack> {
  const stack = await startTestApi({ RATE_LIMIT_PER_MINUTE: '0' });
  const { rabbitmqUrl, mongoUrl, rabbitmqManagementUrl } = await infra();
  const shared = {
    RABBITMQ_URL: rabbitmqUrl,
    MONGO_URL: mongoUrlForDb(mongoUrl, stack.deps.runtime.mongo.name),
    CONVEYOR_PREFIX: stack.deps.runtime.topology.prefix,
  };
  const [api, processor, scheduler] = await Promise.all([
    startService('api', {
      ...shared,
      NODE_ENV: 'test',
      JWT_SECRET: TEST_JWT_SECRET,
      RATE_LIMIT_PER_MINUTE: '0',
      ...(rabbitmqManagementUrl ? { RABBITMQ_MANAGEMENT_URL: rabbitmqManagementUrl } : {}),
    }),
    startService('processor', { ...shared, ...processorEnv }),
    startService('scheduler', { ...shared, SCAN_INTERVAL_MS: '250', DIGEST_CRON: 'off' }),
  ]);
  const base = `http://127.0.0.1:${api.httpPort}`;
  const tokens = {
    alice: await stack.token({ sub: 'alice', email: 'alice@example.com' }),
    bob: await stack.token({ sub: 'bob', email: 'bob@example.com' }),
    admin: await stack.token({ sub: 'ops', roles: ['admin'] }),
  };
  const browser = await startBrowser();
  const shots = screenshotDir();

  return {
    stack,
    api,
    processor,
    scheduler,
    browser,
    base,
    tokens,
    async call<T>(who: DashboardUser, path: string, init: RequestInit = {}) {
      const res = await stack.call(path, tokens[who], init);
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
    },
    async signIn(who) {
      const page = await browser.newPage();
      await page.goto(`${base}/ui/`);
      await page.getByLabel('Bearer token (JWT)').fill(tokens[who]);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
      return page;
    },
    async open(page, route) {
      await page.goto(`${base}/ui/#${route}`);
      await page.reload();
    },
    async scan(page, name) {
      const violations = await seriousA11yViolations(page);
      await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
      return violations;
    },
    async close() {
      await browser.close();
      await Promise.all([api, processor, scheduler].map((p) => p.stop('SIGTERM')));
      await stack.close();
    },
  };
}
