import { FileStore, JobRepository, startWorkerService } from '@conveyor/jobs';
import { ConfigError } from '@conveyor/platform';
import { mailerConfig } from './config.js';
import { MailConfigError } from './mail/config.js';
import { createMailTransport } from './mail/transport.js';
import { createSmtpCheck } from './mail/readiness.js';
import { createMailerMetrics } from './metrics.js';
import { DeliveryRepository } from './deliveries/delivery.repository.js';
import { mailerHandlers } from './handlers/index.js';

/** The mailer service: `email.*` jobs over a pooled SMTP transport. */
async function main(): Promise<void> {
  const config = mailerConfig();
  const transport = createMailTransport(config.mail);
  const smtpCheck = createSmtpCheck(transport);
  const svc = await startWorkerService({
    service: 'mailer',
    config: config.service,
    extraChecks: [
      {
        name: 'smtp',
        check: () =>
          smtpCheck().then(
            () => true,
            () => false,
          ),
      },
    ],
    handlers: async (rt) => {
      const deliveries = new DeliveryRepository(rt.mongo);
      await deliveries.ensureIndexes();
      const jobs = new JobRepository(rt.mongo);
      return mailerHandlers({
        transport,
        deliveries,
        countJobs: (owner, since) => jobs.queries.digestCounts(owner, since),
        config: config.mail,
        metrics: createMailerMetrics(rt.registry),
        attachments: {
          jobs,
          artifacts: new FileStore(rt.mongo, 'artifacts'),
          limitBytes: config.mail.attachmentLimitBytes,
        },
      });
    },
    closeHandlers: () => transport.close(),
  });
  svc.runtime.lifecycle.handleSignals();
}

main().catch((err: unknown) => {
  const known = err instanceof ConfigError || err instanceof MailConfigError;
  process.stderr.write(
    `${known ? (err as Error).message : ((err as Error).stack ?? String(err))}\n`,
  );
  process.exit(1);
});
