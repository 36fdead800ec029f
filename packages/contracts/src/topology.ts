/**
 * RabbitMQ names — the one frozen source. Renaming any of these is a migration: queues are
 * durable and bound by name on live brokers.
 *
 * Every name is `<prefix>.<suffix>`; the prefix defaults to `conveyor` and is configurable so
 * several environments (or tests) can share one broker.
 */
export const DEFAULT_PREFIX = 'conveyor';

/**
 * Lanes of a worker group: jobs of priority `high`/`urgent` travel in the priority lane; the
 * fair lane carries the jobs fair dispatch held and hands back in turns across owners, so
 * they need not queue behind a burst already in the standard lane (workers consume all three).
 */
export const LANES = ['standard', 'priority', 'fair'] as const;
export type Lane = (typeof LANES)[number];

export interface Topology {
  readonly prefix: string;
  readonly exchanges: {
    /** topic; routing key = job type; standard-lane dispatches. */
    readonly jobs: string;
    /** topic; routing key = job type; priority-lane dispatches (high / urgent). */
    readonly jobsPriority: string;
    /** topic; routing key = job type; fair-lane dispatches (held jobs released in turns). */
    readonly jobsFair: string;
    /** topic; `job.<status>.<type>`, `job.progress.<type>`, `worker.heartbeat.<service>`. */
    readonly events: string;
    /** fanout; cancel broadcasts to every worker. */
    readonly control: string;
    /** fanout; dead letters from every work queue. */
    readonly dlx: string;
  };
  readonly queues: {
    /**
     * The work queue of a worker group's lane: `<prefix>.<queue>`,
     * `<prefix>.<queue>.priority` and `<prefix>.<queue>.fair`. A group's queues are bound to exactly the job types its
     * handlers define.
     */
    work(queue: string, lane: Lane): string;
    /** Poison messages: rejected, invalid, or past the delivery limit. */
    readonly dead: string;
    /** Final-state lifecycle events for completion callbacks, shared by scheduler replicas. */
    readonly callbacks: string;
    /** Every lifecycle event, for the dashboard's job timelines, shared by API replicas. */
    readonly timeline: string;
    /** Final-state lifecycle events that advance workflows, shared by scheduler replicas. */
    readonly workflows: string;
  };
}

/** Builds the frozen set of names for a prefix. */
export function topology(prefix: string = DEFAULT_PREFIX): Topology {
  if (!/^[a-z0-9][a-z0-9_.-]{0,100}$/i.test(prefix)) {
    throw new Error(
      `invalid topology prefix ${JSON.stringify(prefix)}: use letters, digits, _ . -`,
    );
  }
  return Object.freeze({
    prefix,
    exchanges: Object.freeze({
      jobs: `${prefix}.jobs`,
      jobsPriority: `${prefix}.jobs.priority`,
      jobsFair: `${prefix}.jobs.fair`,
      events: `${prefix}.events`,
      control: `${prefix}.control`,
      dlx: `${prefix}.dlx`,
    }),
    queues: Object.freeze({
      work: (queue: string, lane: Lane) =>
        lane === 'standard' ? `${prefix}.${queue}` : `${prefix}.${queue}.${lane}`,
      dead: `${prefix}.dead`,
      callbacks: `${prefix}.callbacks`,
      timeline: `${prefix}.timeline`,
      workflows: `${prefix}.workflows`,
    }),
  });
}

/** What reacts to a job's final state besides its watchers: set on the job at creation. */
export const JOB_REACTIONS = ['callback', 'workflow'] as const;
export type JobReaction = (typeof JOB_REACTIONS)[number];

/** Routing keys on the events exchange. */
export const routingKeys = Object.freeze({
  jobStatus: (status: string, type: string) => `job.${status}.${type}`,
  /**
   * A final-state event again, for the one reaction the job asked for at creation
   * (`reaction.callback.<status>.<type>`, `reaction.workflow.…`): only such jobs reach the
   * scheduler's callback and workflow queues, so a plain job costs them nothing.
   */
  reaction: (reaction: JobReaction, status: string, type: string) =>
    `reaction.${reaction}.${status}.${type}`,
  jobProgress: (type: string) => `job.progress.${type}`,
  heartbeat: (service: string) => `worker.heartbeat.${service}`,
});

/** The exchange a lane's dispatches are published to (bound to its work queues by job type). */
export function laneExchange(topo: Topology, lane: Lane): string {
  return lane === 'priority'
    ? topo.exchanges.jobsPriority
    : lane === 'fair'
      ? topo.exchanges.jobsFair
      : topo.exchanges.jobs;
}
