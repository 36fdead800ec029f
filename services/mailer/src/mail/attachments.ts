import {
  artifactOfJob,
  PermanentJobError,
  RetryableJobError,
  type FileStore,
  type JobRepository,
} from '@conveyor/jobs';
import type { EmailAttachment } from '@conveyor/contracts';
import type { MailAttachment } from './outgoing-mail.js';

/** Where attachments come from. */
export interface AttachmentSources {
  jobs: JobRepository;
  artifacts: FileStore;
  /** Total bytes of one message's attachments. */
  limitBytes: number;
}

export const ATTACHMENT_REFUSED = 'ATTACHMENT_REFUSED';

/**
 * Reads the artifacts a message attaches, all of them the owner's own: a job's result
 * artifact (the job must have succeeded) or an artifact by id. Each keeps the content type it
 * was stored with; the total is checked against the limit before any byte is read. A
 * missing, foreign or oversized attachment fails the job for good.
 */
export async function loadAttachments(
  refs: readonly EmailAttachment[] | undefined,
  owner: string,
  src: AttachmentSources,
  signal: AbortSignal,
): Promise<MailAttachment[]> {
  if (!refs || refs.length === 0) return [];
  const files = [];
  for (const [i, ref] of refs.entries()) {
    let artifactId: string;
    if ('jobId' in ref) {
      const job = await src.jobs.get(ref.jobId, owner);
      // n.b. each job type says which artifact its result names (see artifactOfJob)
      const id = job ? artifactOfJob(job) : undefined;
      if (typeof id !== 'string')
        throw new PermanentJobError(
          `attachments.${i}: job ${ref.jobId} is not a succeeded job of yours with an artifact`,
          ATTACHMENT_REFUSED,
        );
      artifactId = id;
    } else artifactId = ref.artifactId;
    const file = await src.artifacts.find(artifactId, owner);
    if (!file)
      throw new PermanentJobError(
        `attachments.${i}: no artifact ${artifactId} of yours`,
        ATTACHMENT_REFUSED,
      );
    files.push({ file, filename: ref.filename ?? file.filename });
  }
  const total = files.reduce((n, f) => n + f.file.length, 0);
  if (total > src.limitBytes)
    throw new PermanentJobError(
      `attachments total ${total} bytes, over the limit of ${src.limitBytes} (MAIL_ATTACHMENT_LIMIT_BYTES)`,
      ATTACHMENT_REFUSED,
    );
  const out: MailAttachment[] = [];
  for (const { file, filename } of files) {
    signal.throwIfAborted();
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of src.artifacts.openRead(file.id)) chunks.push(chunk as Buffer);
    } catch (err) {
      throw new RetryableJobError(
        `could not read artifact ${file.id}: ${(err as Error).message}`,
        'ATTACHMENT_READ',
        {
          cause: err,
        },
      );
    }
    out.push({ filename, contentType: file.contentType, content: Buffer.concat(chunks) });
  }
  return out;
}
