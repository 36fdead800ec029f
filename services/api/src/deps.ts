import { builtinJobTypes } from '@conveyor/contracts';
import {
  BUCKETS,
  FileStore,
  ScheduleRepository,
  SEED_REGISTRANT,
  type JobRepository,
} from '@conveyor/jobs/store';
import {
  createJobCore,
  type JobCore,
  type JobDispatcher,
  type JobEvents,
} from '@conveyor/jobs/dispatch';
import { JobCallbacks, WebhookSecretRepository } from '@conveyor/jobs/webhooks';
import { WorkflowEngine } from '@conveyor/jobs/workflows';
import { brokerUrls, type ServiceRuntime } from '@conveyor/platform';
import type { ApiConfig } from './config.js';
import { EventHub } from './events/hub.js';
import { createApiMetrics, type ApiMetrics } from './http/metrics.js';
import { ensureSearchIndexes } from './jobs/search.js';
import { registerWorkerFleetMetrics } from './ops/worker.metrics.js';
import { BrokerQueues, vhostOf } from './stats/broker-queues.js';
import { TimelineStore } from './timeline/timeline.store.js';

/** Everything the HTTP app needs; tests build one in-process with {@link createApiDeps}. */
export interface ApiDeps {
  runtime: ServiceRuntime;
  config: ApiConfig;
  /** Submit, cancel and retry act on this; `repo`, `dispatcher` and `events` are its parts. */
  core: JobCore;
  repo: JobRepository;
  schedules: ScheduleRepository;
  dispatcher: JobDispatcher;
  events: JobEvents;
  uploads: FileStore;
  artifacts: FileStore;
  /** The process's one events consumer: SSE fan-out and the worker directory. */
  hub: EventHub;
  metrics: ApiMetrics;
  /** Owners' webhook signing secrets. */
  webhookSecrets: WebhookSecretRepository;
  /** Completion callbacks registered at submit (fired by the scheduler). */
  callbacks: JobCallbacks;
  /** Timelines of jobs stored before their history moved into the job documents. */
  timeline: TimelineStore;
  /** Queue figures for the dashboard (management API when configured). */
  brokerQueues: BrokerQueues;
  /** Workflows: created, cancelled and retried here, advanced by the scheduler too. */
  workflows: WorkflowEngine;
}

/** Builds the API's collaborators on a booted runtime and starts the events consumer. */
export async function createApiDeps(runtime: ServiceRuntime, config: ApiConfig): Promise<ApiDeps> {
  // n.b. marks batched half a second after the confirm: see JobDispatcher
  const core = createJobCore(runtime, {
    markDelayMs: 500,
    fair: { window: config.FAIR_WINDOW },
  });
  const { repo } = core;
  await repo.ensureIndexes();
  // n.b. the built-in types are submittable before their workers first start
  await core.catalogue.seed(builtinJobTypes(), SEED_REGISTRANT);
  await ensureSearchIndexes(runtime.mongo);
  const schedules = new ScheduleRepository(runtime.mongo);
  await schedules.ensureIndexes();
  const callbacks = new JobCallbacks(runtime.mongo, core, runtime.log);
  await callbacks.ensureIndexes();
  const workflows = new WorkflowEngine(core, runtime.log);
  await workflows.store.ensureIndexes();
  const hub = new EventHub(runtime.amqp, runtime.topology, runtime.log);
  const timeline = new TimelineStore(runtime.mongo, runtime.log);
  await timeline.ensureIndexes();
  await hub.start();
  timeline.startPurge();
  await TimelineStore.deleteLegacyQueue(runtime.amqp, runtime.topology);
  registerWorkerFleetMetrics(runtime.registry, hub.workers);
  return {
    runtime,
    config,
    core,
    repo,
    schedules,
    dispatcher: core.dispatcher,
    events: core.events,
    uploads: new FileStore(runtime.mongo, BUCKETS.uploads),
    artifacts: new FileStore(runtime.mongo, BUCKETS.artifacts),
    hub,
    metrics: createApiMetrics(runtime.registry),
    webhookSecrets: new WebhookSecretRepository(runtime.mongo),
    callbacks,
    timeline,
    brokerQueues: new BrokerQueues(
      runtime.amqp,
      runtime.topology,
      vhostOf(brokerUrls(config.RABBITMQ_URL)[0]!),
      async () => [...new Set((await core.catalogue.records()).map((r) => r.entry.queue))].sort(),
      config.RABBITMQ_MANAGEMENT_URL,
    ),
    workflows,
  };
}
