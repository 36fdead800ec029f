import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium (`apt-get install -y chromium`); `CHROMIUM_PATH` overrides it. */
export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/** A headless Chromium with a fresh profile, closed (and its profile deleted) by `close()`. */
export interface TestBrowser {
  context: BrowserContext;
  /** A new tab (its own sessionStorage: a new tab is signed out). */
  newPage(): Promise<Page>;
  /** Messages the pages logged about Content-Security-Policy violations. */
  cspViolations: string[];
  close(): Promise<void>;
}

/** Starts Chromium; fails saying how to install it when it is missing. */
export async function startBrowser(): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM_PATH))
    throw new Error(
      `${CHROMIUM_PATH} is missing: install Chromium (\`apt-get install -y chromium\`) or set CHROMIUM_PATH`,
    );
  const profile = await mkdtemp(join(tmpdir(), 'conveyor-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
    viewport: { width: 1360, height: 900 },
    timezoneId: 'UTC',
    locale: 'en-GB',
  });
  const cspViolations: string[] = [];
  const watch = (page: Page) =>
    page.on('console', (msg) => {
      if (/Content Security Policy/i.test(msg.text())) cspViolations.push(msg.text());
    });
  context.on('page', watch);
  for (const p of context.pages()) watch(p);
  return {
    context,
    newPage: () => context.newPage(),
    cspViolations,
    async close() {
      await context.close().catch(() => undefined);
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** One accessibility violation axe found. */
export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

const axeSource = (): Promise<string> => {
  const require = createRequire(import.meta.url);
  return import('node:fs/promises').then((fs) =>
    fs.readFile(require.resolve('axe-core/axe.min.js'), 'utf8'),
  );
};

/**
 * Runs axe-core on the page (injected through the DevTools protocol, so the page's CSP stays
 * strict) and returns the serious and critical violations.
 */
export async function seriousA11yViolations(page: Page): Promise<AxeViolation[]> {
  const already = await page.evaluate(() => 'axe' in globalThis);
  if (!already) await page.evaluate(await axeSource());
  return page.evaluate(async () => {
    interface AxeResult {
      violations: {
        id: string;
        impact: string | null;
        help: string;
        nodes: { target: string[] }[];
      }[];
    }
    const axe = (globalThis as unknown as { axe: { run(): Promise<AxeResult> } }).axe;
    const result = await axe.run();
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        targets: v.nodes.map((n) => n.target.join(' ')),
      }));
  });
}

/** `docs/screenshots` of the repository (created when missing). */
export function screenshotDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'pnpm-workspace.yaml'))) dir = dirname(dir);
  const out = join(dir, 'docs', 'screenshots');
  mkdirSync(out, { recursive: true });
  return out;
}
