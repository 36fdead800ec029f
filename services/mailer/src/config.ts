import { env, loadConfig, type Env } from '@conveyor/platform';
import { workerConfigShape } from '@conveyor/jobs';
import { parseMailConfig } from './mail/config.js';

/**
 * Mailer configuration: the worker variables (see `workerConfigShape`), `METRICS_PORT`
 * (9101), and the mail variables of `parseMailConfig` (`SMTP_URL`, `MAIL_FROM`, …).
 */
export function mailerConfig(source: Env = process.env) {
  return {
    service: loadConfig({ ...workerConfigShape, METRICS_PORT: env.port.default(9101) }, source),
    mail: parseMailConfig(source),
  };
}
