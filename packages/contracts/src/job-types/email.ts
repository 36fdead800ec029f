import { z } from 'zod';
import { defineJobType } from '../job-type.js';
import { emailAddressSchema, headerTextSchema } from '../email-address.js';
import { prioritySchema } from '../priority.js';

/** Limits that keep one job from becoming a spam run or a memory problem. */
export const EMAIL_LIMITS = Object.freeze({
  recipients: 50,
  subjectLength: 998,
  bodyBytes: 512 * 1024,
  attachments: 5,
});

const artifactRef = z.string().regex(/^[a-f0-9]{24}$/, 'must be a 24-hex id');
const attachmentName = headerTextSchema(200)
  .pipe(z.string().min(1))
  .refine((n) => !/[\\/]/.test(n), 'must be a file name without slashes');

/**
 * A stored artifact of the sender's to attach: a succeeded job's result artifact (`jobId`), or
 * an artifact by id. The mailer checks ownership, size (`MAIL_ATTACHMENT_LIMIT_BYTES`) and
 * takes the content type the artifact was stored with.
 */
export const emailAttachmentSchema = z.union([
  z.strictObject({ jobId: artifactRef, filename: attachmentName.optional() }),
  z.strictObject({ artifactId: artifactRef, filename: attachmentName.optional() }),
]);
export type EmailAttachment = z.infer<typeof emailAttachmentSchema>;
const attachments = z.array(emailAttachmentSchema).max(EMAIL_LIMITS.attachments).optional();

const recipients = z.array(emailAddressSchema).min(1).max(EMAIL_LIMITS.recipients);
const body = z
  .string()
  .refine(
    (s) => Buffer.byteLength(s) <= EMAIL_LIMITS.bodyBytes,
    `must be at most ${EMAIL_LIMITS.bodyBytes} bytes`,
  );

/** What the mailer reports for a delivered message. */
export const emailResultSchema = z.object({
  messageId: z.string(),
  accepted: z.array(z.string()),
  rejected: z.array(z.string()),
  response: z.string(),
});

export const emailSendPayload = z
  .strictObject({
    to: recipients,
    cc: z.array(emailAddressSchema).max(EMAIL_LIMITS.recipients).optional(),
    bcc: z.array(emailAddressSchema).max(EMAIL_LIMITS.recipients).optional(),
    subject: headerTextSchema(EMAIL_LIMITS.subjectLength).pipe(z.string().min(1)),
    text: body.optional(),
    html: body.optional(),
    replyTo: emailAddressSchema.optional(),
    priority: prioritySchema.optional(),
    attachments,
  })
  .refine((p) => p.text !== undefined || p.html !== undefined, {
    message: 'needs text, html or both',
    path: ['text'],
  })
  .refine(
    (p) => p.to.length + (p.cc?.length ?? 0) + (p.bcc?.length ?? 0) <= EMAIL_LIMITS.recipients,
    {
      message: `at most ${EMAIL_LIMITS.recipients} recipients in to + cc + bcc`,
      path: ['to'],
    },
  );

/** `email.send` — one message with explicit subject and body. */
export const emailSend = defineJobType({
  name: 'email.send',
  description: 'Sends one email with the given subject and text and/or HTML body.',
  queue: 'mailer',
  defaults: { timeoutMs: 60_000, maxAttempts: 8 },
  payload: emailSendPayload,
  examples: [
    { to: ['ann@example.com'], subject: 'Hello', text: 'Sent from the Conveyor dashboard.' },
  ],
  result: emailResultSchema,
  priorityOf: (p) => p.priority,
  // n.b. bodies are left out: their words would crowd out the addresses and the subject
  search: ['to', 'cc', 'bcc', 'replyTo', 'subject'],
});

const url = z.url({ protocol: /^https?$/ }).max(2048);
const shortText = (max: number) => z.string().min(1).max(max);
/** Text that may end up in a header (a subject template can use any of these fields). */
const oneLine = (max: number) => headerTextSchema(max).min(1);

/** Data each template needs; the template name selects the schema. */
export const templateDataSchemas = {
  welcome: z.strictObject({
    name: oneLine(200),
    loginUrl: url.optional(),
    product: oneLine(200).optional(),
  }),
  'password-reset': z.strictObject({
    name: oneLine(200).optional(),
    resetUrl: url,
    expiresInMinutes: z.int().min(1).max(10_080).default(60),
  }),
  notification: z.strictObject({
    title: oneLine(200),
    message: shortText(10_000),
    actionUrl: url.optional(),
    actionLabel: oneLine(100).optional(),
  }),
  digest: z.strictObject({
    name: oneLine(200).optional(),
    periodLabel: oneLine(100).default('the last 24 hours'),
    counts: z.strictObject({
      pending: z.int().min(0),
      running: z.int().min(0).default(0),
      failed: z.int().min(0),
      succeeded: z.int().min(0).default(0),
    }),
    failedJobs: z
      .array(
        z.strictObject({
          id: z.string().max(100),
          type: z.string().max(100),
          error: z.string().max(1000).optional(),
        }),
      )
      .max(50)
      .default([]),
  }),
} as const;

export const TEMPLATE_NAMES = ['welcome', 'password-reset', 'notification', 'digest'] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];

const templateVariant = <T extends TemplateName>(template: T) =>
  z.strictObject({
    to: emailAddressSchema,
    template: z.literal(template),
    data: templateDataSchemas[template],
    replyTo: emailAddressSchema.optional(),
    priority: z.enum(['low', 'normal', 'high', 'urgent']).optional(),
    attachments,
  });

export const emailTemplatePayload = z.discriminatedUnion('template', [
  templateVariant('welcome'),
  templateVariant('password-reset'),
  templateVariant('notification'),
  templateVariant('digest'),
]);

/** `email.template` — a message rendered from a named template (text + HTML parts). */
export const emailTemplate = defineJobType({
  name: 'email.template',
  description:
    'Renders a named template (welcome, password-reset, notification, digest) and sends it.',
  queue: 'mailer',
  defaults: { timeoutMs: 60_000, maxAttempts: 8 },
  payload: emailTemplatePayload,
  examples: [{ to: 'ann@example.com', template: 'welcome', data: { name: 'Ann' } }],
  result: emailResultSchema,
  priorityOf: (p) => p.priority,
  search: ['to', 'template', 'replyTo', 'data.name'],
});

/** `email.digest` — the periodic summary of one owner's pending and failed jobs. */
export const emailDigest = defineJobType({
  name: 'email.digest',
  description: "Summarises an owner's pending and failed jobs and mails it to their address.",
  queue: 'mailer',
  defaults: { timeoutMs: 120_000, maxAttempts: 5 },
  payload: z.strictObject({
    owner: z.string().min(1).max(200),
    to: emailAddressSchema,
    /** How far back the digest looks, in hours. */
    periodHours: z
      .int()
      .min(1)
      .max(24 * 31)
      .default(24),
  }),
  ownersOf: (p) => [{ field: 'owner', owner: p.owner }],
  result: emailResultSchema.extend({
    counts: z.object({ pending: z.int(), running: z.int(), failed: z.int(), succeeded: z.int() }),
  }),
});
