import { z } from 'zod';
import { env, loadConfig, type Env } from '@conveyor/platform';
import { workerConfigShape } from '@conveyor/jobs';
import { parseCidr } from './webhooks/address-policy.js';

const cidrList = z
  .string()
  .default('')
  .transform((s, ctx) => {
    const items = s
      .split(',')
      .map((x) => x.trim())
      .filter((x) => x !== '');
    for (const item of items) {
      try {
        parseCidr(item);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    }
    return items;
  });

/**
 * Processor configuration: the worker variables (see `workerConfigShape`) with `CONCURRENCY`
 * 32 instead of 8 (its types are mostly short and I/O-bound: webhooks, demo jobs; more jobs in
 * flight also make bigger batches of claims and outcomes — `demo 2000` ran about 1.5x the
 * jobs per second at 32 as at 8 on two cores), `METRICS_PORT` (9102), and for webhooks:
 * - `WEBHOOK_ALLOW_CIDRS` (empty): comma-separated addresses / CIDRs a webhook may reach
 *   although they are not public (e.g. `10.0.0.0/8` for an in-cluster receiver).
 * - `WEBHOOK_DESTINATION_CONCURRENCY` (2): deliveries at once to one `host:port` per
 *   processor (0 = no limit).
 * - `WEBHOOK_MAX_RETRY_AFTER_MS` (3600000): the longest `Retry-After` honoured.
 * - `WEBHOOK_BUSY_RETRY_MS` (1000): pause before retrying a delivery whose destination was at
 *   its limit.
 */
export function processorConfig(source: Env = process.env) {
  return loadConfig(
    {
      ...workerConfigShape,
      CONCURRENCY: env.positiveInt.max(1000).default(32),
      METRICS_PORT: env.port.default(9102),
      WEBHOOK_ALLOW_CIDRS: cidrList,
      WEBHOOK_DESTINATION_CONCURRENCY: env.nonNegativeInt.max(1000).default(2),
      WEBHOOK_MAX_RETRY_AFTER_MS: env.positiveInt.default(3_600_000),
      WEBHOOK_BUSY_RETRY_MS: env.positiveInt.default(1000),
    },
    source,
  );
}
