/** Envelope addresses as given in `MAIL FROM` / `RCPT TO` (not the headers). */
export interface CaughtEnvelope {
  /** Reverse path; empty string for a null sender (`MAIL FROM:<>`). */
  from: string;
  to: string[];
}

/**
 * One message as accepted over SMTP and parsed with mailparser. This JSON shape is what
 * `GET /api/messages` returns; tests assert on it.
 */
export interface CaughtMessage {
  id: string;
  /** ISO 8601 time the DATA phase completed. */
  receivedAt: string;
  envelope: CaughtEnvelope;
  /** Address of the first `From` header mailbox, or null when absent. */
  from: string | null;
  /** Addresses in the `To` headers, in order. */
  to: string[];
  /** Addresses in the `Cc` headers, in order. */
  cc: string[];
  subject: string | null;
  messageId: string | null;
  /**
   * Header name (lower case) -> value as sent, unfolded but not MIME-decoded. A header
   * that occurs more than once (e.g. `Received`) has its values joined with a newline.
   */
  headers: Record<string, string>;
  text: string | null;
  html: string | null;
  /** Attached files (content not included; it is in the raw message). */
  attachments: CaughtAttachment[];
}

/** One attachment of a caught message. */
export interface CaughtAttachment {
  filename: string | null;
  contentType: string;
  size: number;
  /** MD5 of the decoded content, hex. */
  md5: string;
}

/**
 * In-memory store of the last `capacity` messages, oldest evicted first. The raw source is
 * kept beside the parsed form so `/raw` returns exactly the bytes received.
 */
export class MessageStore {
  readonly #messages = new Map<string, { message: CaughtMessage; raw: Buffer }>();

  /** @param capacity - messages kept before the oldest is dropped (default 10000). */
  constructor(readonly capacity = 10_000) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    }
  }

  add(message: CaughtMessage, raw: Buffer): void {
    this.#messages.set(message.id, { message, raw });
    // n.b. Map iterates in insertion order, so the first key is always the oldest.
    while (this.#messages.size > this.capacity) {
      const oldest = this.#messages.keys().next().value;
      if (oldest === undefined) break;
      this.#messages.delete(oldest);
    }
  }

  /** All messages, oldest first. */
  list(): CaughtMessage[] {
    return [...this.#messages.values()].map((entry) => entry.message);
  }

  get(id: string): CaughtMessage | undefined {
    return this.#messages.get(id)?.message;
  }

  raw(id: string): Buffer | undefined {
    return this.#messages.get(id)?.raw;
  }

  clear(): void {
    this.#messages.clear();
  }

  get size(): number {
    return this.#messages.size;
  }
}
