import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { unknownTypeMessage, type JobTypeDefinition, type Priority } from '@conveyor/contracts';
import type { JobCatalogueReader } from '../catalogue/catalogue.js';
import type { JobCore } from '../core.js';
import { PermanentJobError } from '../errors.js';
import type { FileStore } from '../files.js';
import type { JobDoc } from '../job.model.js';
import { submitJob } from '../use-cases/submit.js';

/** A file a handler reads: an upload or an artifact of the job's owner. */
export type FileRef = { uploadId: string } | { artifactId: string };

/** An open file: its metadata and a stream of its bytes. */
export interface OpenedFile {
  readonly filename: string;
  readonly contentType: string;
  /** Size in bytes. */
  readonly length: number;
  readonly stream: Readable;
}

/** Files as a handler sees them: the job owner's, read and written as streams. */
export interface JobFiles {
  /**
   * Opens an upload or artifact of the job's owner. Throws a PermanentJobError
   * `FILE_NOT_FOUND` when it does not exist or belongs to someone else.
   */
  open(ref: FileRef): Promise<OpenedFile>;
  /**
   * Stores an artifact owned by the job's owner and linked to the job (deleted with it);
   * `GET /v1/artifacts/{artifactId}` serves it to the owner.
   */
  write(
    meta: { filename: string; contentType: string },
    body: Readable | AsyncIterable<Uint8Array> | Buffer | string,
  ): Promise<{ artifactId: string; length: number }>;
}

/** Options of a child job a handler submits. */
export interface ChildJobOptions {
  /** @default the type's default priority (or what its payload asks for) */
  priority?: Priority;
  /** Run this long from now. @default 0 */
  delayMs?: number;
  /** @default the type's default */
  maxAttempts?: number;
  /** @default the type's default */
  timeoutMs?: number;
  /**
   * Deduplicates the submission within the owner. @default `child:<parent job id>:<n>`, n
   * counting this attempt's submissions from 1: a handler that runs again after a crash
   * gets the children of its earlier run back instead of new ones.
   */
  idempotencyKey?: string;
}

/** Submits child jobs: owned by the job's owner, in its correlation and trace. */
export type SubmitChild = (
  type: JobTypeDefinition | string,
  payload: unknown,
  opts?: ChildJobOptions,
) => Promise<{ id: string; created: boolean }>;

/** What the worker gives each attempt to build files and child submissions from. */
export interface ContextServices {
  readonly uploads: FileStore;
  readonly artifacts: FileStore;
  readonly core: JobCore;
  readonly catalogue: JobCatalogueReader;
}

/** The files of one job. */
export function jobFiles(s: ContextServices, job: JobDoc): JobFiles {
  const jobId = job._id.toHexString();
  return {
    async open(ref) {
      const [store, id] =
        'uploadId' in ref ? [s.uploads, ref.uploadId] : [s.artifacts, ref.artifactId];
      const info = await store.find(id, job.owner);
      if (!info)
        throw new PermanentJobError(
          `${'uploadId' in ref ? 'upload' : 'artifact'} ${id} not found`,
          'FILE_NOT_FOUND',
        );
      return {
        filename: info.filename,
        contentType: info.contentType,
        length: info.length,
        stream: store.openRead(id),
      };
    },
    async write(meta, body) {
      const { id, stream } = s.artifacts.openWrite(meta.filename, {
        contentType: meta.contentType,
        owner: job.owner,
        jobId,
      });
      let length = 0;
      const source =
        typeof body === 'string' || Buffer.isBuffer(body)
          ? Readable.from([Buffer.from(body)])
          : body;
      async function* counted(src: AsyncIterable<Uint8Array>) {
        for await (const chunk of src) {
          length += chunk.length;
          yield chunk;
        }
      }
      await pipeline(counted(source), stream);
      return { artifactId: id, length };
    },
  };
}

/** The child-job submitter of one attempt. */
export function childSubmitter(
  s: ContextServices,
  job: JobDoc,
  traceparent: string | undefined,
): SubmitChild {
  let n = 0;
  const parentId = job._id.toHexString();
  return async (type, payload, opts = {}) => {
    const name = typeof type === 'string' ? type : type.name;
    const key = opts.idempotencyKey ?? `child:${parentId}:${++n}`;
    const types = await s.catalogue.lookup([name]);
    const known = types(name);
    if (!known) throw new PermanentJobError(unknownTypeMessage(name, types), 'UNKNOWN_JOB_TYPE');
    const checked = known.check(payload);
    if (!checked.success) {
      const detail = checked.issues
        .slice(0, 5)
        .map((i) => `${i.path.map(String).join('.') || '(payload)'}: ${i.message}`)
        .join('; ');
      throw new PermanentJobError(`child ${name} payload: ${detail}`, 'INVALID_CHILD_PAYLOAD');
    }
    const d = known.entry.defaults;
    const own = known.definition?.priorityOf?.(checked.data as never);
    const { job: child, created } = await submitJob(s.core, {
      type: name,
      payload: checked.data,
      priority: opts.priority ?? own ?? d.priority,
      owner: job.owner,
      ownerEmail: job.ownerEmail,
      maxAttempts: opts.maxAttempts ?? d.maxAttempts,
      timeoutMs: opts.timeoutMs ?? d.timeoutMs,
      runAt: new Date(Date.now() + (opts.delayMs ?? 0)),
      idempotencyKey: key,
      correlationId: job.correlationId,
      ...(traceparent ? { traceparent } : {}),
    });
    return { id: child._id.toHexString(), created };
  };
}
