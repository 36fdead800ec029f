import { builtinJobTypes, type JobTypeDefinition } from '@conveyor/contracts';
import type { JobDoc } from './job.model.js';

let builtins: Map<string, JobTypeDefinition> | null = null;

/**
 * The artifact a succeeded job's result names, as `/v1/jobs/{id}/result` serves it: the one
 * its type's definition points at (`artifactOf`, the built-ins), else a string `artifactId`
 * field of the result (the convention for job types of one's own). Undefined when none.
 */
export function artifactOfJob(job: Pick<JobDoc, 'type' | 'result' | 'status'>): string | undefined {
  if (job.status !== 'succeeded' || job.result === null) return undefined;
  let result: unknown;
  try {
    result = JSON.parse(job.result);
  } catch {
    return undefined;
  }
  builtins ??= new Map(builtinJobTypes().map((d) => [d.name, d]));
  const def = builtins.get(job.type);
  if (typeof result !== 'object' || result === null) return undefined;
  if (def?.artifactOf) {
    // n.b. the stored result was checked when recorded; the hook only reads its field
    const id: unknown = def.artifactOf(result as never);
    return typeof id === 'string' ? id : undefined;
  }
  if ('artifactId' in result) {
    const id = (result as { artifactId: unknown }).artifactId;
    return typeof id === 'string' ? id : undefined;
  }
  return undefined;
}
