import { emailDigest } from '@conveyor/contracts';
import { nextFireTime, parseCron } from '@conveyor/jobs/store';
import { submitJob, type JobCore } from '@conveyor/jobs/dispatch';
import type { Logger } from '@conveyor/platform';
import { startLoop, type TimerLoop } from './loop.js';

/** How far back a digest looks (also the window for "failed recently"). */
const PERIOD_HOURS = 24;
/** Longest sleep between checks, so a clock jump or a suspended host is noticed. */
const MAX_SLEEP_MS = 60_000;

/**
 * Queues an `email.digest` job per owner who has pending (scheduled/queued) jobs or failed
 * ones in the last 24 h and a known address. The job is owned by that user (they see it) and
 * keyed `digest:<owner>:<fire time>`, so every replica may run this and each owner gets one.
 */
export async function queueDigests(core: JobCore, fireAt: Date): Promise<number> {
  const since = new Date(fireAt.getTime() - PERIOD_HOURS * 3600_000);
  let created = 0;
  for (const { owner, email } of await core.repo.queries.digestRecipients(since)) {
    const res = await submitJob(core, {
      type: emailDigest.name,
      payload: { owner, to: email, periodHours: PERIOD_HOURS },
      priority: 'low',
      owner,
      ownerEmail: email,
      maxAttempts: emailDigest.defaults.maxAttempts,
      timeoutMs: emailDigest.defaults.timeoutMs,
      runAt: fireAt,
      idempotencyKey: `digest:${owner}:${fireAt.toISOString()}`,
    });
    if (res.created) created++;
  }
  return created;
}

/** Runs {@link queueDigests} at each fire time of `cron` in `timezone`. */
export function startDigest(deps: {
  core: JobCore;
  log: Logger;
  cron: string;
  timezone: string;
}): TimerLoop {
  const ct = parseCron(deps.cron, deps.timezone);
  let nextFire = nextFireTime(ct, deps.timezone, new Date());
  return startLoop('digest', deps.log, async () => {
    const now = new Date();
    if (now.getTime() >= nextFire.getTime()) {
      const n = await queueDigests(deps.core, nextFire);
      deps.log.info({ fireAt: nextFire.toISOString(), digests: n }, 'digests queued');
      nextFire = nextFireTime(ct, deps.timezone, now);
    }
    return Math.min(MAX_SLEEP_MS, nextFire.getTime() - Date.now());
  });
}
