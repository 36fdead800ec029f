import type { Connection } from 'mongoose';
import { builtinJobTypes, type Topology } from '@conveyor/contracts';
import type { AmqpClient, Logger } from '@conveyor/platform';
import { JobDispatcher } from './dispatch.js';
import { JobEvents } from './events.js';
import { JobRepository } from './job.repository.js';
import { JobTypeCatalogue } from './catalogue/catalogue.js';

/** What the job use cases (submit, cancel, retry) act on: the store, dispatch and events. */
export interface JobCore {
  readonly repo: JobRepository;
  readonly dispatcher: JobDispatcher;
  readonly events: JobEvents;
  readonly amqp: AmqpClient;
  readonly topology: Topology;
  /** The job-type catalogue (with the built-in definitions known in code). */
  readonly catalogue: JobTypeCatalogue;
  /** Writes pending published marks, waits for events in flight and writes their final-event marks (before closing). */
  flush(): Promise<void>;
}

/** Options of {@link createJobCore}. */
export interface JobCoreOptions {
  /**
   * How long a confirmed dispatch waits to be marked published in a batch (see
   * JobDispatcher). @default 0
   */
  markDelayMs?: number;
}

/** Builds the job core on a MongoDB connection and an AMQP client. */
export function createJobCore(
  deps: { mongo: Connection; amqp: AmqpClient; topology: Topology; log: Logger },
  opts: JobCoreOptions = {},
): JobCore {
  const events = new JobEvents(deps.amqp, deps.topology, deps.log);
  const repo = new JobRepository(deps.mongo, events);
  const catalogue = new JobTypeCatalogue(deps.mongo, { local: builtinJobTypes(), log: deps.log });
  const dispatcher = new JobDispatcher(
    deps.amqp,
    deps.topology,
    repo,
    deps.log,
    opts.markDelayMs ?? 0,
  );
  return {
    repo,
    dispatcher,
    events,
    amqp: deps.amqp,
    topology: deps.topology,
    catalogue,
    async flush() {
      await dispatcher.flush();
      await events.flush();
      await repo.finalEventMarks.flush();
    },
  };
}
