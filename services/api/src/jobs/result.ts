import type { Context } from 'koa';
import { artifactOfJob, toJobResource, type FileStore, type JobDoc } from '@conveyor/jobs/store';
import { conflict, notFound } from '../http/problem.js';

/**
 * Answers `GET /v1/jobs/:id/result`: the artifact as a download when the result names one,
 * else the JSON result. Only succeeded jobs have a result (409 otherwise).
 */
export async function sendJobResult(
  ctx: Context,
  job: JobDoc,
  artifacts: FileStore,
): Promise<void> {
  if (job.status !== 'succeeded')
    throw conflict(`the job is ${job.status}; only succeeded jobs have a result`);
  const result = toJobResource(job).result;
  const artifactId = artifactOfJob(job);
  if (artifactId === undefined) {
    ctx.type = 'application/json';
    ctx.body = JSON.stringify(result);
    return;
  }
  const file = await artifacts.find(artifactId);
  if (!file) throw notFound('artifact');
  ctx.type = file.contentType;
  ctx.length = file.length;
  ctx.attachment(file.filename);
  ctx.body = artifacts.openRead(artifactId);
}
