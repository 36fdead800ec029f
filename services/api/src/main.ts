import { topology } from '@conveyor/contracts';
import { declareBuiltinQueues } from '@conveyor/jobs/store';
import { ConfigError, bootService, closeRuntime } from '@conveyor/platform';
import { createApp } from './app.js';
import { apiConfig } from './config.js';
import { createApiDeps } from './deps.js';
import { startHttpServer } from './http/server.js';

/** The API service: wiring only. */
async function main(): Promise<void> {
  const config = apiConfig();
  // n.b. a submit waits at most 2 s for the broker; an unconfirmed job stays accepted and the
  // scheduler's outbox sweeper publishes it, so clients are not held up by a broker outage.
  const rt = await bootService('api', config, {
    publishTimeoutMs: 2000,
    // n.b. the built-in types' queues exist from the start, so their jobs wait for a worker
    declare: (ch) => declareBuiltinQueues(ch, topology(config.CONVEYOR_PREFIX)),
  });
  const deps = await createApiDeps(rt, config);
  const app = createApp(deps, { isDraining: () => rt.lifecycle.isClosing });
  const http = await startHttpServer(app, config.PORT);
  rt.log.info({ port: http.port }, 'api listening');
  rt.lifecycle.onClose('stop http listener', () => http.stopAccepting());
  rt.lifecycle.onClose('end event streams', () => deps.hub.stop());
  rt.lifecycle.onClose('write buffered timeline events', () => deps.timeline.close());
  rt.lifecycle.onClose('drain http requests', () => http.drain(config.SHUTDOWN_GRACE_MS));
  rt.lifecycle.onClose('mark dispatched jobs published', () => deps.core.flush());
  closeRuntime(rt);
  rt.lifecycle.handleSignals();
}

main().catch((err: unknown) => {
  process.stderr.write(
    `${err instanceof ConfigError ? err.message : ((err as Error).stack ?? String(err))}\n`,
  );
  process.exit(1);
});
