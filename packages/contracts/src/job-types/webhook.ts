import { z } from 'zod';
import { defineJobType } from '../job-type.js';

/** Bounds of one webhook delivery. */
export const WEBHOOK_LIMITS = Object.freeze({
  /** The JSON body, serialized. */
  bodyBytes: 256 * 1024,
  urlLength: 2048,
  minTimeoutMs: 100,
  maxTimeoutMs: 60_000,
  maxResponseBytes: 1024 * 1024,
  maxRedirects: 5,
  headers: 20,
  /** Characters of the receiver's reply kept in a job's result or error. */
  excerptChars: 500,
});

/** An `http(s)` URL a webhook may be sent to (where it resolves is checked at delivery). */
export const webhookUrlSchema = z.url({ protocol: /^https?$/ }).max(WEBHOOK_LIMITS.urlLength);

// Headers a caller may not set: the signature's own, and what the transport decides.
const RESERVED_HEADER =
  /^(webhook-.*|host|content-length|content-type|connection|transfer-encoding|te|upgrade|keep-alive|proxy-.*|trailer)$/i;

const headerName = z
  .string()
  .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/, 'must be an HTTP header name')
  .refine((n) => !RESERVED_HEADER.test(n), 'is set by Conveyor and cannot be given');
const headerValue = z
  .string()
  .max(1000)
  .regex(/^[\t\x20-\x7e]*$/, 'must be printable ASCII on one line');

export const webhookDeliverPayload = z.strictObject({
  /** Where to POST. */
  url: webhookUrlSchema,
  /** Any JSON value; sent as the request body, signed. */
  body: z
    .unknown()
    .refine((b) => b !== undefined, 'is required')
    .refine(
      (b) => Buffer.byteLength(JSON.stringify(b) ?? '') <= WEBHOOK_LIMITS.bodyBytes,
      `must serialize to at most ${WEBHOOK_LIMITS.bodyBytes} bytes`,
    ),
  /** Extra request headers (not `webhook-*`, `host`, `content-*` and other transport ones). */
  headers: z
    .record(headerName, headerValue)
    .refine((h) => Object.keys(h).length <= WEBHOOK_LIMITS.headers, {
      message: `at most ${WEBHOOK_LIMITS.headers} headers`,
    })
    .optional(),
  /** Per-request timeout (connect to last byte), ms. */
  timeoutMs: z
    .int()
    .min(WEBHOOK_LIMITS.minTimeoutMs)
    .max(WEBHOOK_LIMITS.maxTimeoutMs)
    .default(10_000),
  /** Bytes of the reply read; the rest is cut off (the connection is closed). */
  maxResponseBytes: z
    .int()
    .min(0)
    .max(WEBHOOK_LIMITS.maxResponseBytes)
    .default(64 * 1024),
  /** 307/308 redirects followed (each target vetted again); 0 = a redirect fails the job. */
  maxRedirects: z.int().min(0).max(WEBHOOK_LIMITS.maxRedirects).default(0),
});
export type WebhookDeliverPayload = z.infer<typeof webhookDeliverPayload>;

export const webhookDeliverResult = z.object({
  /** The receiver's HTTP status (2xx). */
  status: z.int(),
  /** The `webhook-id` sent: the same on every attempt of the job. */
  webhookId: z.string(),
  /** The URL that answered (differs from the payload's after a followed redirect). */
  url: z.string(),
  durationMs: z.number(),
  /** Bytes of the reply read (at most `maxResponseBytes`). */
  responseBytes: z.int(),
  /** Whether the reply was longer than `maxResponseBytes` and was cut. */
  truncated: z.boolean(),
  responseExcerpt: z.string(),
});
export type WebhookDeliverResult = z.infer<typeof webhookDeliverResult>;

/** `webhook.deliver` — one signed POST (Standard Webhooks) to an SSRF-vetted address. */
export const webhookDeliver = defineJobType({
  name: 'webhook.deliver',
  description:
    "POSTs a JSON body signed with the owner's webhook secret (Standard Webhooks headers); " +
    'retries on 5xx, timeouts and connection errors, honours Retry-After on 429/503.',
  queue: 'processor',
  defaults: { timeoutMs: 120_000, maxAttempts: 8 },
  payload: webhookDeliverPayload,
  result: webhookDeliverResult,
  search: ['url'],
});

/** The body of a completion callback: the job resource when the job reached a final state. */
export const CALLBACK_EVENT_TYPES = ['job.succeeded', 'job.failed', 'job.cancelled'] as const;
