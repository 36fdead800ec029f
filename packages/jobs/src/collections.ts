/**
 * Every MongoDB collection Conveyor uses, in one frozen list (like the AMQP topology):
 * renaming one is a data migration. GridFS buckets name `<bucket>.files` / `<bucket>.chunks`.
 */
export const COLLECTIONS = Object.freeze({
  jobs: 'jobs',
  schedules: 'schedules',
  /** The mailer's record of each sent message, keyed by job id (see the mailer). */
  mailDeliveries: 'mail_deliveries',
  /** Owners' webhook signing secrets, keyed by owner. */
  webhookSecrets: 'webhook_secrets',
  /** Completion callbacks waiting for their job's final state, keyed by job id. */
  jobCallbacks: 'job_callbacks',
  /** Workflows (chains, groups, chords of jobs) with their steps' states. */
  workflows: 'workflows',
  /** The job-type catalogue: one entry per type, written by the workers that run it. */
  jobTypes: 'job_types',
  /** What each attempt's handler logged and the stack of the error that ended it, by job. */
  attemptLogs: 'job_attempt_logs',
  /** Job types an admin paused fleet-wide, keyed by type name. */
  pausedTypes: 'paused_types',
  /** Queues (worker groups) an admin paused fleet-wide, keyed by queue name. */
  pausedQueues: 'paused_queues',
  /** Operators' overrides of job types' limits, keyed by type name. */
  limitOverrides: 'job_type_limits',
  /** The jobs running under each concurrency limit, keyed by limit id. */
  limitSlots: 'limit_slots',
  /** The next free start of each rate limit, keyed by limit id. */
  limitRates: 'limit_rates',
  /** Queued jobs held in the store by a full limit or by fair dispatch, keyed by job id. */
  jobHolds: 'job_holds',
  /** Owners' fair-share weights (absent = 1), keyed by owner. */
  ownerWeights: 'owner_weights',
  /** Workers' windows of final-state writes whose events may still be owed (see EventLedger). */
  eventLedgers: 'event_ledgers',
});

/** GridFS buckets: uploaded data sources and the artifacts jobs produce. */
export const BUCKETS = Object.freeze({
  uploads: 'uploads',
  artifacts: 'artifacts',
});
