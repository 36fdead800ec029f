/** SMTP stage at which an injected fault answers. */
export type FaultStage = 'rcpt' | 'data';

/** A rule making the next `remaining` matching commands fail with `code`. */
export interface Fault {
  id: number;
  /** Recipient address (compared case-insensitively) or `*` for any recipient. */
  rcptTo: string;
  /** SMTP reply code, 400-599 (4xx = transient, 5xx = permanent). */
  code: number;
  message: string;
  /** How many more matching commands this rule fails. */
  remaining: number;
  /** `rcpt` (default) fails the RCPT TO command; `data` fails the end of DATA. */
  stage: FaultStage;
}

/** Error carrying an SMTP reply code, the shape smtp-server turns into a reply line. */
export class SmtpReplyError extends Error {
  override readonly name = 'SmtpReplyError';
  constructor(
    readonly responseCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** Thrown for an invalid `POST /api/faults` body; the HTTP layer answers 400. */
export class InvalidFaultError extends Error {
  override readonly name = 'InvalidFaultError';
}

/**
 * Validates a `POST /api/faults` body:
 * `{ rcptTo: string, code: 400..599, message?: string, times?: n >= 1 (default 1),
 * stage?: 'rcpt' | 'data' (default 'rcpt') }`.
 */
export function parseFaultRequest(body: unknown): Omit<Fault, 'id'> {
  if (typeof body !== 'object' || body === null) {
    throw new InvalidFaultError('body must be a JSON object');
  }
  const input = body as Record<string, unknown>;
  const { rcptTo, code, message, times = 1, stage = 'rcpt' } = input;
  if (typeof rcptTo !== 'string' || rcptTo.trim() === '') {
    throw new InvalidFaultError('rcptTo must be an address or "*"');
  }
  if (typeof code !== 'number' || !Number.isInteger(code) || code < 400 || code > 599) {
    throw new InvalidFaultError('code must be an SMTP error code between 400 and 599');
  }
  if (message !== undefined && typeof message !== 'string') {
    throw new InvalidFaultError('message must be a string');
  }
  if (typeof times !== 'number' || !Number.isInteger(times) || times < 1) {
    throw new InvalidFaultError('times must be a positive integer');
  }
  if (stage !== 'rcpt' && stage !== 'data') {
    throw new InvalidFaultError('stage must be "rcpt" or "data"');
  }
  return {
    rcptTo: rcptTo.trim().toLowerCase(),
    code,
    message:
      message ??
      (code >= 500
        ? 'Requested action not taken (injected fault)'
        : 'Try again later (injected fault)'),
    remaining: times,
    stage,
  };
}

/** Fault rules, consumed first-added first. */
export class FaultInjector {
  #faults: Fault[] = [];
  #nextId = 1;

  add(rule: Omit<Fault, 'id'>): Fault {
    const fault = { ...rule, id: this.#nextId++ };
    this.#faults.push(fault);
    return { ...fault };
  }

  list(): Fault[] {
    return this.#faults.map((fault) => ({ ...fault }));
  }

  clear(): void {
    this.#faults = [];
  }

  /**
   * Consumes one use of the first rule for `stage` matching any of `recipients` and
   * returns the error to answer with, or undefined when no rule applies.
   */
  take(stage: FaultStage, recipients: readonly string[]): SmtpReplyError | undefined {
    const wanted = new Set(recipients.map((address) => address.toLowerCase()));
    const fault = this.#faults.find(
      (candidate) =>
        candidate.stage === stage && (candidate.rcptTo === '*' || wanted.has(candidate.rcptTo)),
    );
    if (fault === undefined) return undefined;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.#faults = this.#faults.filter((other) => other !== fault);
    return new SmtpReplyError(fault.code, fault.message);
  }
}
