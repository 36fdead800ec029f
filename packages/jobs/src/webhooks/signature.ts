import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** The prefix of a Standard Webhooks signing secret; the rest is base64 key bytes. */
export const SECRET_PREFIX = 'whsec_';

/** A new signing secret: `whsec_` + base64 of 32 random bytes. */
export function newWebhookSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64');
}

/** The key bytes of a `whsec_…` secret (a secret without the prefix is taken as base64 too). */
export function secretKey(secret: string): Buffer {
  const b64 = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  const key = Buffer.from(b64, 'base64');
  if (key.length < 16) throw new Error('a webhook secret needs at least 16 key bytes');
  return key;
}

/** The `webhook-id` of a job's deliveries: the same on every attempt, so receivers can dedupe. */
export const webhookIdOf = (jobId: string) => `msg_${jobId}`;

/**
 * One `v1,<base64>` signature per the Standard Webhooks specification: HMAC-SHA256 with the
 * secret's key bytes over `<webhook-id>.<webhook-timestamp>.<body>`.
 */
export function signWebhook(
  secret: string,
  msgId: string,
  timestampSeconds: number,
  body: string,
): string {
  const mac = createHmac('sha256', secretKey(secret))
    .update(`${msgId}.${timestampSeconds}.${body}`)
    .digest('base64');
  return `v1,${mac}`;
}

/** The `webhook-signature` header: one signature per active secret, space-separated. */
export function signatureHeader(
  secrets: readonly string[],
  msgId: string,
  timestampSeconds: number,
  body: string,
): string {
  return secrets.map((s) => signWebhook(s, msgId, timestampSeconds, body)).join(' ');
}

/**
 * Checks a delivery the way a receiver should: the timestamp within `toleranceSeconds` of now
 * and one of the header's `v1` signatures equal (constant time) to the expected one.
 */
export function verifyWebhook(
  secret: string,
  headers: { id: string; timestamp: string; signature: string },
  body: string,
  opts: { toleranceSeconds?: number; nowSeconds?: number } = {},
): boolean {
  const ts = Number(headers.timestamp);
  const now = opts.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (!Number.isInteger(ts) || Math.abs(now - ts) > (opts.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(signWebhook(secret, headers.id, ts, body).slice(3), 'base64');
  return headers.signature.split(' ').some((sig) => {
    const [version, mac] = sig.split(',', 2);
    if (version !== 'v1' || mac === undefined) return false;
    const given = Buffer.from(mac, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
