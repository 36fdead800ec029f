import type { Connection } from 'mongoose';
import { builtinJobTypes, type Topology } from '@conveyor/contracts';
import type { AmqpClient, Logger } from '@conveyor/platform';
import { JobDispatcher } from './dispatch.js';
import { JobEvents } from './events.js';
import { JobRepository } from './job.repository.js';
import type { EventLedgerOptions } from './event-ledger.js';
import { JobTypeCatalogue } from './catalogue/catalogue.js';
import { FairAdmission, type FairOptions } from './limits/fair.js';

/** What the job use cases (submit, cancel, retry) act on: the store, dispatch and events. */
export interface JobCore {
  readonly repo: JobRepository;
  readonly dispatcher: JobDispatcher;
  readonly events: JobEvents;
  readonly amqp: AmqpClient;
  readonly topology: Topology;
  /** The job-type catalogue (with the built-in definitions known in code). */
  readonly catalogue: JobTypeCatalogue;
  /** Fair dispatch of submitted jobs (the API's core); absent: every job is published. */
  readonly fair?: FairAdmission;
  /** Writes pending published marks, waits for events in flight, writes their final-event marks and retires settled event ledgers (before closing). */
  flush(): Promise<void>;
}

/** Options of {@link createJobCore}. */
export interface JobCoreOptions {
  /**
   * How long a confirmed dispatch waits to be marked published in a batch (see
   * JobDispatcher). @default 0
   */
  markDelayMs?: number;
  /**
   * Fair dispatch of submitted jobs (see FairAdmission): the API's core holds a backlog in
   * the store and the scheduler releases it round robin. @default off
   */
  fair?: FairOptions;
  /**
   * Keep the events of final states written in batches (a worker's outcomes) owed in event
   * ledgers opened under this writer name, instead of a mark per job (see EventLedger).
   * @default none: each job is marked
   */
  eventLedger?: EventLedgerOptions;
}

/** Builds the job core on a MongoDB connection and an AMQP client. */
export function createJobCore(
  deps: { mongo: Connection; amqp: AmqpClient; topology: Topology; log: Logger },
  opts: JobCoreOptions = {},
): JobCore {
  const events = new JobEvents(deps.amqp, deps.topology, deps.log);
  const repo = new JobRepository(deps.mongo, events, {
    ...(opts.eventLedger ? { eventLedger: opts.eventLedger } : {}),
  });
  const catalogue = new JobTypeCatalogue(deps.mongo, { local: builtinJobTypes(), log: deps.log });
  const dispatcher = new JobDispatcher(
    deps.amqp,
    deps.topology,
    repo,
    deps.log,
    opts.markDelayMs ?? 0,
  );
  const fair =
    opts.fair && (opts.fair.window ?? 1) > 0
      ? new FairAdmission(deps.amqp, deps.topology, repo, catalogue, opts.fair)
      : undefined;
  return {
    repo,
    dispatcher,
    events,
    amqp: deps.amqp,
    topology: deps.topology,
    catalogue,
    ...(fair ? { fair } : {}),
    async flush() {
      await dispatcher.flush();
      await events.flush();
      await repo.finalEventMarks.flush();
      await repo.eventLedger?.flush();
    },
  };
}
