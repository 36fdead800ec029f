import { createHash } from 'node:crypto';

/** Characters a job id may keep in the id-left part of a Message-ID as is. */
const SAFE_ID = /^[A-Za-z0-9_-]{1,200}$/;

/**
 * The Message-ID of the one email a job sends: `<job-${jobId}@${domain}>`. Every attempt of a
 * job uses the same value, so a receiving system that sees a second copy (after a crash
 * between the SMTP server's 250 and our delivery record) can tell it is the same message.
 *
 * @param jobId the job's id; anything outside `[A-Za-z0-9_-]` is replaced by a hash of it.
 * @param domain ASCII domain of MAIL_FROM.
 */
export function messageIdForJob(jobId: string, domain: string): string {
  const local = SAFE_ID.test(jobId)
    ? jobId
    : `h${createHash('sha256').update(jobId).digest('hex')}`;
  return `<job-${local}@${domain}>`;
}
