import { FileStore, startWorkerService } from '@conveyor/jobs';
import { createJobCore, type JobCore } from '@conveyor/jobs/dispatch';
import { WebhookSecretRepository } from '@conveyor/jobs/webhooks';
import { ConfigError } from '@conveyor/platform';
import { processorConfig } from './config.js';
import { processorHandlers } from './handlers/index.js';
import { AddressPolicy } from './webhooks/address-policy.js';
import { DestinationLimiter } from './webhooks/destination-limiter.js';
import { createProcessorMetrics } from './metrics.js';

/** The processor service: data, report, webhook and demo jobs. */
async function main(): Promise<void> {
  const config = processorConfig();
  let core: JobCore | null = null;
  const svc = await startWorkerService({
    service: 'processor',
    config,
    handlers: (rt) => {
      // n.b. reports that mail themselves submit an email.send job
      core = createJobCore(rt);
      const metrics = createProcessorMetrics(rt.registry);
      return processorHandlers({
        uploads: new FileStore(rt.mongo, 'uploads'),
        artifacts: new FileStore(rt.mongo, 'artifacts'),
        jobs: core.repo,
        metrics,
        core,
        webhooks: {
          secrets: new WebhookSecretRepository(rt.mongo),
          policy: new AddressPolicy(config.WEBHOOK_ALLOW_CIDRS),
          limiter: new DestinationLimiter(config.WEBHOOK_DESTINATION_CONCURRENCY),
          maxRetryAfterMs: config.WEBHOOK_MAX_RETRY_AFTER_MS,
          busyRetryMs: config.WEBHOOK_BUSY_RETRY_MS,
          metrics: metrics.webhooks,
        },
      });
    },
    closeHandlers: async () => {
      await core?.flush();
    },
  });
  svc.runtime.lifecycle.handleSignals();
}

main().catch((err: unknown) => {
  process.stderr.write(
    `${err instanceof ConfigError ? err.message : ((err as Error).stack ?? String(err))}\n`,
  );
  process.exit(1);
});
