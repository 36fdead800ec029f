import { withLimits } from './mail-rate.js';
import type { JobTypeLimits } from '@conveyor/contracts';
import { handle, type Handler } from '@conveyor/sdk/worker';
import { emailDigest, templateDataSchemas } from '@conveyor/contracts';
import { PermanentJobError, RetryableJobError } from '@conveyor/jobs';
import { messageIdForJob } from '../mail/message-id.js';
import type { MailerMailConfig } from '../mail/config.js';
import type { TemplateRenderer } from '../templates/renderer.js';
import type { DeliveryCounts } from '../deliveries/delivery.model.js';
import { deliverOnce, type DeliverDeps } from './deliver-once.js';
import { mailAddress, validatedPayload } from './payload.js';

/** A failed job as the digest lists it. */
export interface DigestFailedJob {
  readonly id: string;
  readonly type: string;
  /** The job's error message, if any. */
  readonly error?: string | undefined;
}

/**
 * Counts an owner's jobs for the digest (implemented over the `jobs` collection by the job
 * domain): `pending` = scheduled + queued now, `running` now, `failed` and `succeeded` that
 * finished at or after `since`; `failedJobs` = the most recent failures since `since`, newest
 * first (the digest shows at most {@link DIGEST_FAILED_JOBS_LIMIT}).
 */
export type CountJobs = (
  owner: string,
  since: Date,
) => Promise<{ counts: DeliveryCounts; failedJobs: readonly DigestFailedJob[] }>;

/** Failed jobs listed in one digest. */
export const DIGEST_FAILED_JOBS_LIMIT = 20;

/** `email.digest`: counts the owner's jobs over the period, renders `digest` and sends it. */
export function emailDigestHandler(
  deps: DeliverDeps & {
    limits?: JobTypeLimits | undefined;
    config: MailerMailConfig;
    renderer: TemplateRenderer;
    countJobs: CountJobs;
    now?: () => Date;
  },
): Handler<typeof emailDigest> {
  const now = deps.now ?? (() => new Date());
  return handle(withLimits(emailDigest, deps.limits), async (payload, ctx) => {
    const delivered = await deliverOnce(ctx, deps, 'digest', async () => {
      const p = validatedPayload(emailDigest, payload);
      // n.b. a digest reports on the job's own owner only: whatever reached the queue, another
      // owner's counts, job ids and errors are never mailed
      if (p.owner !== ctx.job.owner)
        throw new PermanentJobError(
          'a digest reports only on its own owner: payload.owner must be the job owner',
          'DIGEST_OWNER_MISMATCH',
        );
      const since = new Date(now().getTime() - p.periodHours * 3_600_000);
      let found: Awaited<ReturnType<CountJobs>>;
      try {
        found = await deps.countJobs(p.owner, since);
      } catch (err) {
        throw new RetryableJobError(
          `could not count the owner's jobs: ${err instanceof Error ? err.message : String(err)}`,
          'DIGEST_QUERY_FAILED',
          { cause: err },
        );
      }
      // n.b. through the template's own schema, clipped to its limits first, so a long error
      // message shortens the digest instead of failing it
      const data = templateDataSchemas.digest.parse({
        periodLabel: periodLabel(p.periodHours),
        counts: found.counts,
        failedJobs: found.failedJobs.slice(0, DIGEST_FAILED_JOBS_LIMIT).map((j) => ({
          id: clip(j.id, 100),
          type: clip(j.type, 100),
          ...(j.error ? { error: clip(j.error, 1000) } : {}),
        })),
      });
      const rendered = deps.renderer.render('digest', data);
      return {
        counts: data.counts,
        mail: {
          from: deps.config.from,
          to: [mailAddress(p.to, 'to')],
          subject: rendered.subject,
          text: rendered.text,
          html: rendered.html,
          messageId: messageIdForJob(ctx.job.id, deps.config.messageIdDomain),
        },
      };
    });
    if (!delivered.counts) {
      throw new PermanentJobError(
        `delivery record of digest job ${ctx.job.id} has no counts`,
        'DELIVERY_RECORD_INVALID',
      );
    }
    return { ...delivered, counts: delivered.counts };
  });
}

/** `the last 24 hours`, `the last 7 days`, `the last hour`. */
export function periodLabel(hours: number): string {
  if (hours === 1) return 'the last hour';
  if (hours % 24 === 0 && hours > 24) return `the last ${hours / 24} days`;
  return `the last ${hours} hours`;
}

function clip(value: string, max: number): string {
  return value.length <= max ? value : `${value.slice(0, max - 1)}…`;
}
