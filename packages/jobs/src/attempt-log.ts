import type { Connection, mongo } from 'mongoose';
import type { Logger } from '@conveyor/platform';
import { COLLECTIONS } from './collections.js';

/** Bounds of what one attempt keeps; beyond them lines are dropped and counted. */
export const ATTEMPT_LOG_LIMITS = Object.freeze({
  /** Lines kept per attempt. */
  lines: 200,
  /** Characters of one line's message (its fields, as JSON, count too). */
  lineChars: 2000,
  /** Characters of all kept lines together. */
  totalChars: 64 * 1024,
  /** Characters of the error's stack. */
  stackChars: 16 * 1024,
});

/** One line a handler logged through `ctx.log`. */
export interface AttemptLogLine {
  at: Date;
  level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
  msg: string;
  /** The structured fields logged with it, as JSON text (cut to fit). */
  fields?: string;
}

/** The stored record of one attempt (collection `job_attempt_logs`). */
export interface AttemptLogDoc {
  jobId: string;
  owner: string;
  attempt: number;
  lines: AttemptLogLine[];
  /** Lines logged but not kept (over a limit). */
  dropped: number;
  /** The error that ended the attempt, with its stack; null when it did not fail. */
  error: { name: string; message: string; stack: string | null } | null;
  createdAt: Date;
}

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;

const collections = new WeakMap<Connection, Promise<mongo.Collection<AttemptLogDoc>>>();

/** The collection, its one index created once per connection. */
export function attemptLogCollection(conn: Connection): Promise<mongo.Collection<AttemptLogDoc>> {
  let ready = collections.get(conn);
  if (!ready) {
    const col = conn.collection<AttemptLogDoc>(COLLECTIONS.attemptLogs);
    // A job's attempts in order (GET /v1/jobs/:id/attempts); one record per attempt; and the
    // deletes by job id of DELETE /v1/jobs/:id and the retention purge.
    ready = col.createIndex({ jobId: 1, attempt: 1 }, { unique: true }).then(() => col);
    ready.catch(() => collections.delete(conn));
    collections.set(conn, ready);
  }
  return ready;
}

/** A handler's logger that also keeps what it logs, for {@link AttemptCapture.save}. */
export interface AttemptCapture {
  /** Logs as `log` does, and keeps each line (within {@link ATTEMPT_LOG_LIMITS}). */
  readonly log: Logger;
  /**
   * Stores the kept lines and, when the attempt threw, the error's stack — only when there is
   * something to store, so a quiet successful attempt costs no write. Never throws: a failure
   * to store is logged and the attempt goes on to record its outcome.
   */
  save(conn: Connection, error?: unknown): Promise<void>;
}

/**
 * Wraps the logger a handler gets so each attempt keeps what the handler logged through it,
 * for the job's owner to read (`GET /v1/jobs/:id/attempts`, the job's page).
 */
export function captureAttemptLog(
  job: { id: string; owner: string; attempt: number },
  log: Logger,
): AttemptCapture {
  const lines: AttemptLogLine[] = [];
  let dropped = 0;
  let chars = 0;
  const keep = (level: AttemptLogLine['level'], args: unknown[]) => {
    const [first, second] = args;
    const msg = typeof first === 'string' ? first : typeof second === 'string' ? second : '';
    const fields =
      typeof first === 'object' && first !== null
        ? jsonOf(first, ATTEMPT_LOG_LIMITS.lineChars)
        : '';
    const size = msg.length + fields.length;
    if (lines.length >= ATTEMPT_LOG_LIMITS.lines || chars + size > ATTEMPT_LOG_LIMITS.totalChars) {
      dropped++;
      return;
    }
    chars += size;
    lines.push({
      at: new Date(),
      level,
      msg: msg.slice(0, ATTEMPT_LOG_LIMITS.lineChars),
      ...(fields ? { fields } : {}),
    });
  };
  const wrap = (target: Logger): Logger =>
    new Proxy(target, {
      get(t, prop, receiver) {
        const value: unknown = Reflect.get(t, prop, receiver);
        if (prop === 'child')
          // n.b. a child logger's lines are the attempt's too
          return (...args: Parameters<Logger['child']>) =>
            wrap(t.child(...args) as unknown as Logger);
        if (typeof prop === 'string' && (LEVELS as readonly string[]).includes(prop)) {
          const level = prop as AttemptLogLine['level'];
          return (...args: unknown[]) => {
            // n.b. keep only what the logger would write at its level
            if (t.isLevelEnabled(level)) keep(level, args);
            return (value as (...a: unknown[]) => void).apply(t, args);
          };
        }
        return typeof value === 'function' ? (value as () => unknown).bind(t) : value;
      },
    });
  const wrapped = wrap(log);
  return {
    log: wrapped,
    async save(conn, error) {
      if (lines.length === 0 && dropped === 0 && error === undefined) return;
      try {
        const col = await attemptLogCollection(conn);
        await col.updateOne(
          { jobId: job.id, attempt: job.attempt },
          {
            $set: {
              owner: job.owner,
              lines,
              dropped,
              error: error === undefined ? null : errorOf(error),
              createdAt: new Date(),
            },
          },
          { upsert: true },
        );
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'attempt log not saved');
      }
    },
  };
}

function jsonOf(value: object, max: number): string {
  try {
    const text = JSON.stringify(value);
    return text.length > max ? `${text.slice(0, max)}…` : text;
  } catch {
    return '';
  }
}

function errorOf(error: unknown): NonNullable<AttemptLogDoc['error']> {
  if (error instanceof Error)
    return {
      name: error.name,
      message: error.message.slice(0, ATTEMPT_LOG_LIMITS.lineChars),
      stack: error.stack ? error.stack.slice(0, ATTEMPT_LOG_LIMITS.stackChars) : null,
    };
  return {
    name: 'Error',
    message: String(error).slice(0, ATTEMPT_LOG_LIMITS.lineChars),
    stack: null,
  };
}

/** A job's stored attempts, oldest first (the caller has checked the job is the reader's). */
export async function attemptLogsOf(conn: Connection, jobId: string): Promise<AttemptLogDoc[]> {
  const col = await attemptLogCollection(conn);
  return col
    .find({ jobId }, { projection: { _id: 0 } })
    .sort({ attempt: 1 })
    .toArray();
}

/** Deletes the attempt logs of `jobIds` (a deleted job, the retention purge). */
export async function deleteAttemptLogs(conn: Connection, jobIds: string[]): Promise<number> {
  if (jobIds.length === 0) return 0;
  const col = await attemptLogCollection(conn);
  return (await col.deleteMany({ jobId: { $in: jobIds } })).deletedCount;
}
