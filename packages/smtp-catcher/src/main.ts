#!/usr/bin/env node
/**
 * Runs the SMTP catcher as a process (what `pnpm infra:up` starts).
 * Env: SMTP_CATCHER_HOST (127.0.0.1), SMTP_CATCHER_SMTP_PORT (1025),
 * SMTP_CATCHER_HTTP_PORT (1080), SMTP_CATCHER_MAX_MESSAGES (10000).
 */
import { startSmtpCatcher } from './catcher.js';
import { jsonLinesLogger } from './log.js';

function intFromEnv(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    console.error(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
    process.exit(2);
  }
  return value;
}

const catcher = await startSmtpCatcher({
  host: process.env.SMTP_CATCHER_HOST || '127.0.0.1',
  smtpPort: intFromEnv('SMTP_CATCHER_SMTP_PORT', 1025, 0, 65_535),
  httpPort: intFromEnv('SMTP_CATCHER_HTTP_PORT', 1080, 0, 65_535),
  maxMessages: intFromEnv('SMTP_CATCHER_MAX_MESSAGES', 10_000, 1, 10_000_000),
  log: jsonLinesLogger,
});
jsonLinesLogger('started', { smtp: catcher.smtpUrl, http: catcher.httpUrl, pid: process.pid });

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    jsonLinesLogger('stopping', { signal });
    catcher.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
