import { handle, type Handler } from '@conveyor/sdk/worker';
import { webhookDeliver, WEBHOOK_LIMITS, type WebhookDeliverResult } from '@conveyor/contracts';
import {
  DeferJobError,
  PermanentJobError,
  RetryableJobError,
  signatureHeader,
  webhookIdOf,
  type WebhookSecretRepository,
} from '@conveyor/jobs';
import type { AddressPolicy } from './address-policy.js';
import { DESTINATION_REFUSED, resolveDestination, type Destination } from './destination.js';
import { statusClass, type WebhookMetrics, type WebhookResult } from '../metrics.js';
import type { DestinationLimiter } from './destination-limiter.js';
import { DeliveryFailure, postOnce, type ReceiverReply } from './post.js';
import { retryAfterMs } from './retry-after.js';

/** What the `webhook.deliver` handler needs. */
export interface WebhookDeliverDeps {
  secrets: WebhookSecretRepository;
  policy: AddressPolicy;
  limiter: DestinationLimiter;
  /** Longest `Retry-After` honoured, ms; longer answers are capped to it. */
  maxRetryAfterMs: number;
  /** Pause before retrying a job whose destination was at its limit, ms (jittered ×1–2). */
  busyRetryMs: number;
  /** `User-Agent` of deliveries. */
  userAgent?: string;
  /** Where delivery attempts are counted and timed. Default: not counted. */
  metrics?: WebhookMetrics;
}

/** The start of a reply as text, for a job's result or error. */
export function excerpt(body: Buffer): string {
  const text = body.subarray(0, WEBHOOK_LIMITS.excerptChars * 4).toString('utf8');
  return text.length > WEBHOOK_LIMITS.excerptChars
    ? `${text.slice(0, WEBHOOK_LIMITS.excerptChars)}…`
    : text;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * The `webhook.deliver` handler: signs the body with the owner's secrets (Standard Webhooks:
 * `webhook-id` = `msg_<jobId>` on every attempt, `webhook-timestamp` = this attempt's time,
 * `webhook-signature` = `v1,<base64 HMAC-SHA256>` per active secret), vets the destination
 * (every resolved address), POSTs to the vetted address, and turns the answer into the job's
 * outcome: 2xx succeeds; 429 and 503 retry after `Retry-After` (else backoff); other 5xx,
 * timeouts and connection errors retry with backoff; other 4xx and refused destinations fail
 * at once with the status and an excerpt of the reply.
 */
export function webhookDeliverHandler(deps: WebhookDeliverDeps): Handler<typeof webhookDeliver> {
  return handle(webhookDeliver, async (payload, ctx) => {
    const { job, signal } = ctx;
    const p = payload;
    const secrets = await deps.secrets.signingSecrets(job.owner);
    if (secrets.length === 0)
      throw new PermanentJobError(
        `owner ${job.owner} has no webhook signing secret; create one with POST /v1/webhooks/secret`,
        'WEBHOOK_NO_SECRET',
      );
    const webhookId = webhookIdOf(job.id);
    const body = JSON.stringify(p.body);
    const started = Date.now();
    let url = p.url;
    for (let hop = 0; ; hop++) {
      const dest = await resolveDestination(url, deps.policy).catch((err: unknown) => {
        count(deps, destinationFailure(err));
        throw err;
      });
      const timestamp = Math.floor(Date.now() / 1000);
      const headers: Record<string, string> = {
        ...(p.headers ?? {}),
        'user-agent': deps.userAgent ?? 'Conveyor-Webhooks/1',
        'webhook-id': webhookId,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signatureHeader(secrets, webhookId, timestamp, body),
      };
      const reply = await withSlot(deps, dest, () =>
        postOnce(dest, body, headers, {
          timeoutMs: p.timeoutMs,
          maxResponseBytes: p.maxResponseBytes,
          signal,
        }),
      );
      ctx.log.info({ url, status: reply.status, attempt: job.attempt }, 'webhook answered');
      if (REDIRECTS.has(reply.status)) {
        const location = reply.headers.location;
        const followable = (reply.status === 307 || reply.status === 308) && location;
        if (!followable || hop >= p.maxRedirects)
          throw new PermanentJobError(
            `receiver answered ${reply.status} redirect${location ? ` to ${location}` : ''}; ` +
              (followable
                ? `more than maxRedirects (${p.maxRedirects}) redirects`
                : 'only 307/308 redirects can be followed, with maxRedirects > 0'),
            'WEBHOOK_REDIRECT',
          );
        url = new URL(location, dest.url).toString();
        continue;
      }
      return outcome(reply, { webhookId, url, started, deps });
    }
  });
}

async function withSlot(
  deps: WebhookDeliverDeps,
  dest: Destination,
  post: () => Promise<ReceiverReply>,
): Promise<ReceiverReply> {
  const release = deps.limiter.tryAcquire(dest.key);
  if (!release) {
    count(deps, 'busy');
    throw new DeferJobError(
      `${dest.key} already has its limit of deliveries in flight from this worker`,
      'WEBHOOK_DESTINATION_BUSY',
      Math.round(deps.busyRetryMs * (1 + Math.random())),
    );
  }
  const started = process.hrtime.bigint();
  const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
  try {
    const reply = await post();
    count(deps, statusClass(reply.status), seconds());
    return reply;
  } catch (err) {
    if (err instanceof DeliveryFailure && err.kind !== 'aborted') count(deps, err.kind, seconds());
    if (err instanceof DeliveryFailure && err.kind !== 'aborted')
      throw new RetryableJobError(
        `${err.kind === 'timeout' ? 'timed out' : 'connection failed'}: ${dest.url.origin} (${dest.address}): ${err.message}`,
        err.kind === 'timeout' ? 'WEBHOOK_TIMEOUT' : 'WEBHOOK_CONNECTION',
        { cause: err },
      );
    throw err;
  } finally {
    release();
  }
}

/** Counts one delivery attempt by result (and times it when a request was made). */
function count(deps: WebhookDeliverDeps, result: WebhookResult, seconds?: number): void {
  deps.metrics?.deliveries.inc({ result });
  if (seconds !== undefined) deps.metrics?.duration.observe({ result }, seconds);
}

/** The result label of a destination that could not be used (refused, or not resolved). */
function destinationFailure(err: unknown): WebhookResult {
  return (err as { code?: unknown }).code === DESTINATION_REFUSED ? 'refused' : 'dns';
}

function outcome(
  reply: ReceiverReply,
  o: { webhookId: string; url: string; started: number; deps: WebhookDeliverDeps },
): WebhookDeliverResult {
  const { status } = reply;
  const said = `receiver answered ${status}: ${excerpt(reply.body)}${reply.truncated ? ' (cut)' : ''}`;
  if (status >= 200 && status < 300)
    return {
      status,
      webhookId: o.webhookId,
      url: o.url,
      durationMs: Date.now() - o.started,
      responseBytes: reply.body.length,
      truncated: reply.truncated,
      responseExcerpt: excerpt(reply.body),
    };
  if (status === 429 || status === 503) {
    const after = retryAfterMs(reply.headers['retry-after'], o.deps.maxRetryAfterMs);
    throw new RetryableJobError(said, `WEBHOOK_HTTP_${status}`, {
      ...(after !== undefined ? { retryAfterMs: after } : {}),
    });
  }
  if (status >= 500) throw new RetryableJobError(said, `WEBHOOK_HTTP_${status}`);
  throw new PermanentJobError(said, `WEBHOOK_HTTP_${status}`);
}
