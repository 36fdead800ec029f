import { FileStore, startWorkerService } from '@conveyor/jobs';
import { ConfigError } from '@conveyor/platform';
import { processorConfig } from './config.js';
import { processorHandlers } from './handlers/index.js';

/** The processor service: data, report, webhook and demo jobs. */
async function main(): Promise<void> {
  const config = processorConfig();
  const svc = await startWorkerService({
    service: 'processor',
    config,
    handlers: (rt) =>
      processorHandlers({
        uploads: new FileStore(rt.mongo, 'uploads'),
        artifacts: new FileStore(rt.mongo, 'artifacts'),
      }),
  });
  svc.runtime.lifecycle.handleSignals();
}

main().catch((err: unknown) => {
  process.stderr.write(
    `${err instanceof ConfigError ? err.message : ((err as Error).stack ?? String(err))}\n`,
  );
  process.exit(1);
});
