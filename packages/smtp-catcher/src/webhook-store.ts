import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';

/**
 * One HTTP request caught at `POST /webhooks/...`. This JSON shape is what
 * `GET /api/webhooks` returns.
 */
export interface CaughtWebhook {
  id: string;
  /** ISO 8601 time the request arrived. */
  receivedAt: string;
  /** The path it was posted to, e.g. `/webhooks/demo`. */
  path: string;
  /** The `webhook-id`, `webhook-timestamp`, `webhook-signature` and `content-type` headers. */
  headers: Record<string, string>;
  /** The raw body as UTF-8 text (cut at {@link WEBHOOK_BODY_LIMIT} bytes). */
  body: string;
  /**
   * Whether a `v1` signature in `webhook-signature` verifies with the secret given to the
   * listing (`?secret=whsec_…`); null when no secret was given.
   */
  verified: boolean | null;
}

/** Bytes of a webhook body kept (the rest is refused with 413). */
export const WEBHOOK_BODY_LIMIT = 256 * 1024;

const KEPT_HEADERS = ['webhook-id', 'webhook-timestamp', 'webhook-signature', 'content-type'];

/** The webhooks a development receiver caught, in memory, oldest first, bounded. */
export class WebhookStore {
  readonly #items: Omit<CaughtWebhook, 'verified'>[] = [];

  constructor(private readonly max: number) {}

  /** Keeps one request; returns its id. */
  add(path: string, headers: Record<string, string | string[] | undefined>, body: string): string {
    const kept: Record<string, string> = {};
    for (const name of KEPT_HEADERS) {
      const value = headers[name];
      if (value !== undefined) kept[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    const id = randomUUID();
    this.#items.push({ id, receivedAt: new Date().toISOString(), path, headers: kept, body });
    if (this.#items.length > this.max) this.#items.shift();
    return id;
  }

  /** Every request kept, each checked against `secret` when one is given. */
  list(secret?: string): CaughtWebhook[] {
    return this.#items.map((item) => ({
      ...item,
      verified: secret ? verifySignature(secret, item.headers, item.body) : null,
    }));
  }

  clear(): void {
    this.#items.length = 0;
  }
}

/**
 * The Standard Webhooks check a receiver makes: base64 HMAC-SHA256, keyed with the
 * base64-decoded secret after `whsec_`, over `<webhook-id>.<webhook-timestamp>.<body>`;
 * any of the space-separated `v1,<sig>` entries may match. (The timestamp's age is not
 * checked here: the catcher shows old requests too.)
 */
export function verifySignature(
  secret: string,
  headers: Record<string, string>,
  body: string,
): boolean {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (!id || !timestamp || !signatures) return false;
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  if (key.length === 0) return false;
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest();
  return signatures.split(' ').some((entry) => {
    const [version, signature] = entry.split(',');
    const given = Buffer.from(signature ?? '', 'base64');
    return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
  });
}
