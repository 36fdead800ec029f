/** How the mailer connects to its SMTP server, read from `SMTP_URL`. */
export interface SmtpSettings {
  readonly host: string;
  readonly port: number;
  /** TLS from the first byte (`smtps://`). */
  readonly secure: boolean;
  /**
   * STARTTLS policy of a plain `smtp://` connection: `opportunistic` upgrades when the server
   * offers it, `required` fails without it, `never` stays plain text. Always `opportunistic`
   * for `smtps://` (nothing to upgrade).
   */
  readonly starttls: 'opportunistic' | 'required' | 'never';
  /** Verify the server's certificate. Default true; `?tlsRejectUnauthorized=false` for dev CAs. */
  readonly tlsRejectUnauthorized: boolean;
  readonly auth: { readonly user: string; readonly pass: string } | undefined;
  /** The URL with the password masked, for logs and error messages. */
  readonly displayUrl: string;
}

/** Bad `SMTP_URL`; the message says what was wrong but never contains the password. */
export class SmtpUrlError extends Error {
  override readonly name = 'SmtpUrlError';
}

const STARTTLS_VALUES = ['opportunistic', 'required', 'never'] as const;

/**
 * Parses `smtp://[user:pass@]host[:port][?starttls=required|never][&tlsRejectUnauthorized=false]`
 * or `smtps://...`. The default port is 587 for `smtp://` (submission) and 465 for `smtps://`.
 * User and password are percent-decoded, so a password with `@` or `:` is written `%40`, `%3A`.
 */
export function parseSmtpUrl(raw: string): SmtpSettings {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new SmtpUrlError('is not a URL (expected smtp://host:port or smtps://host:port)');
  }
  const secure = url.protocol === 'smtps:';
  if (!secure && url.protocol !== 'smtp:') {
    throw new SmtpUrlError(`must use smtp:// or smtps://, not ${url.protocol}//`);
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!host) throw new SmtpUrlError('has no host');
  const port = url.port === '' ? (secure ? 465 : 587) : Number(url.port);
  if (!Number.isInteger(port) || port < 1 || port > 65_535)
    throw new SmtpUrlError('has an invalid port');

  const user = decode(url.username, 'user');
  const pass = decode(url.password, 'password');
  if (pass && !user) throw new SmtpUrlError('has a password but no user');

  const known = new Set(['starttls', 'tlsRejectUnauthorized']);
  for (const key of url.searchParams.keys()) {
    if (!known.has(key))
      throw new SmtpUrlError(`has an unknown parameter ${key} (known: ${[...known].join(', ')})`);
  }
  const starttlsParam = url.searchParams.get('starttls') ?? 'opportunistic';
  const starttls = STARTTLS_VALUES.find((v) => v === starttlsParam);
  if (!starttls) throw new SmtpUrlError(`starttls must be one of ${STARTTLS_VALUES.join(', ')}`);
  if (secure && starttls !== 'opportunistic')
    throw new SmtpUrlError('starttls does not apply to smtps://');
  const rejectParam = url.searchParams.get('tlsRejectUnauthorized') ?? 'true';
  if (rejectParam !== 'true' && rejectParam !== 'false') {
    throw new SmtpUrlError('tlsRejectUnauthorized must be true or false');
  }

  const masked = new URL(url.href);
  if (masked.password) masked.password = '***';
  return Object.freeze({
    host,
    port,
    secure,
    starttls,
    tlsRejectUnauthorized: rejectParam === 'true',
    auth: user ? Object.freeze({ user, pass }) : undefined,
    displayUrl: masked.href,
  });
}

function decode(part: string, what: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new SmtpUrlError(`has a badly percent-encoded ${what}`);
  }
}
