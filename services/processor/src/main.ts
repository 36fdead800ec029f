import { FileStore } from '@conveyor/jobs';
import { JobRepository } from '@conveyor/jobs/store';
import { WebhookSecretRepository } from '@conveyor/jobs/webhooks';
import { createWorker, ConfigError } from '@conveyor/sdk/worker';
import { processorConfig } from './config.js';
import { processorHandlers } from './handlers/index.js';
import { AddressPolicy } from './webhooks/address-policy.js';
import { DestinationLimiter } from './webhooks/destination-limiter.js';
import { createProcessorMetrics } from './metrics.js';

/** The processor service: data, report, webhook and demo jobs, a worker on the SDK. */
async function main(): Promise<void> {
  const config = processorConfig();
  const worker = await createWorker({
    name: 'processor',
    metricsPort: 9102,
    // n.b. the processor's own default (32), or CONCURRENCY
    concurrency: config.CONCURRENCY,
    handlers: ({ mongo, registry }) => {
      const metrics = createProcessorMetrics(registry);
      return processorHandlers({
        uploads: new FileStore(mongo, 'uploads'),
        artifacts: new FileStore(mongo, 'artifacts'),
        jobs: new JobRepository(mongo),
        metrics,
        webhooks: {
          secrets: new WebhookSecretRepository(mongo),
          policy: new AddressPolicy(config.WEBHOOK_ALLOW_CIDRS),
          limiter: new DestinationLimiter(config.WEBHOOK_DESTINATION_CONCURRENCY),
          maxRetryAfterMs: config.WEBHOOK_MAX_RETRY_AFTER_MS,
          busyRetryMs: config.WEBHOOK_BUSY_RETRY_MS,
          metrics: metrics.webhooks,
        },
      });
    },
  });
  worker.handleSignals();
}

main().catch((err: unknown) => {
  process.stderr.write(
    `${err instanceof ConfigError ? err.message : ((err as Error).stack ?? String(err))}\n`,
  );
  process.exit(1);
});
