import {
  FileStore,
  JobDispatcher,
  JobEvents,
  JobRepository,
  reportFenceRepairs,
  ScheduleRepository,
} from '@conveyor/jobs';
import type { ServiceRuntime } from '@conveyor/platform';
import type { ApiConfig } from './config.js';
import { EventHub } from './events/hub.js';
import { createApiMetrics, type ApiMetrics } from './http/metrics.js';

/** Everything the HTTP app needs; tests build one in-process with {@link createApiDeps}. */
export interface ApiDeps {
  runtime: ServiceRuntime;
  config: ApiConfig;
  repo: JobRepository;
  schedules: ScheduleRepository;
  dispatcher: JobDispatcher;
  events: JobEvents;
  uploads: FileStore;
  artifacts: FileStore;
  /** The process's one events consumer: SSE fan-out and the worker directory. */
  hub: EventHub;
  metrics: ApiMetrics;
}

/** Builds the API's collaborators on a booted runtime and starts the events consumer. */
export async function createApiDeps(runtime: ServiceRuntime, config: ApiConfig): Promise<ApiDeps> {
  const repo = new JobRepository(runtime.mongo);
  reportFenceRepairs(repo.fence, runtime.registry, runtime.log);
  await repo.ensureIndexes();
  const schedules = new ScheduleRepository(runtime.mongo);
  await schedules.ensureIndexes();
  const hub = new EventHub(runtime.amqp, runtime.topology, runtime.log);
  await hub.start();
  return {
    runtime,
    config,
    repo,
    schedules,
    // n.b. marks batched half a second after the confirm: see JobDispatcher
    dispatcher: new JobDispatcher(runtime.amqp, runtime.topology, repo, runtime.log, 500),
    events: new JobEvents(runtime.amqp, runtime.topology, runtime.log),
    uploads: new FileStore(runtime.mongo, 'uploads'),
    artifacts: new FileStore(runtime.mongo, 'artifacts'),
    hub,
    metrics: createApiMetrics(runtime.registry),
  };
}
