import type { MailTransport } from './transport.js';

/** Options of {@link createSmtpCheck}. */
export interface SmtpCheckOptions {
  /** How long a verdict (up or down) is reused, in ms. Default 5 000. */
  readonly cacheMs?: number;
  /** Clock in ms; default `Date.now`. */
  readonly now?: () => number;
}

/**
 * A readiness probe for `/readyz`: resolves while the SMTP server accepts connections,
 * rejects (with the reason) while it does not. Each verdict is cached for `cacheMs` and
 * concurrent calls share one verify(), so frequent probes do not open a connection each.
 * The verify itself is bounded by the transport's `verifyTimeoutMs` (default 3 s).
 */
export function createSmtpCheck(
  transport: Pick<MailTransport, 'verify'>,
  options: SmtpCheckOptions = {},
): () => Promise<void> {
  const cacheMs = options.cacheMs ?? 5_000;
  const now = options.now ?? Date.now;
  let last: { at: number; result: Promise<void> } | undefined;
  let inFlight: Promise<void> | undefined;

  return () => {
    if (last && now() - last.at < cacheMs) return last.result;
    if (inFlight) return inFlight;
    const attempt = transport.verify();
    inFlight = attempt;
    const finish = () => {
      const result = attempt;
      // n.b. a cached rejection must not trip unhandled-rejection for callers that never come
      result.catch(() => undefined);
      last = { at: now(), result };
      inFlight = undefined;
    };
    attempt.then(finish, finish);
    return attempt;
  };
}
