import { FileStore, JobRepository } from '@conveyor/jobs';
import { createWorker, ConfigError } from '@conveyor/sdk/worker';
import { mailerConfig } from './config.js';
import { MailConfigError } from './mail/config.js';
import { createMailTransport } from './mail/transport.js';
import { createSmtpCheck } from './mail/readiness.js';
import { createMailerMetrics } from './metrics.js';
import { DeliveryRepository } from './deliveries/delivery.repository.js';
import { mailerHandlers } from './handlers/index.js';

/** The mailer service: `email.*` jobs over a pooled SMTP transport, a worker on the SDK. */
async function main(): Promise<void> {
  const config = mailerConfig();
  const transport = createMailTransport(config.mail);
  const smtpCheck = createSmtpCheck(transport);
  const worker = await createWorker({
    name: 'mailer',
    metricsPort: 9101,
    readinessChecks: [
      {
        name: 'smtp',
        check: () =>
          smtpCheck().then(
            () => true,
            () => false,
          ),
      },
    ],
    handlers: async ({ mongo, registry }) => {
      const deliveries = new DeliveryRepository(mongo);
      await deliveries.ensureIndexes();
      const jobs = new JobRepository(mongo);
      return mailerHandlers({
        transport,
        deliveries,
        countJobs: (owner, since) => jobs.queries.digestCounts(owner, since),
        config: config.mail,
        metrics: createMailerMetrics(registry),
        attachments: {
          jobs,
          artifacts: new FileStore(mongo, 'artifacts'),
          limitBytes: config.mail.attachmentLimitBytes,
        },
      });
    },
    onClose: async () => transport.close(),
  });
  worker.handleSignals();
}

main().catch((err: unknown) => {
  const known = err instanceof ConfigError || err instanceof MailConfigError;
  process.stderr.write(
    `${known ? (err as Error).message : ((err as Error).stack ?? String(err))}\n`,
  );
  process.exit(1);
});
