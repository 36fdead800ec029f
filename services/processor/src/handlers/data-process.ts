import { handle, type Handler } from '@conveyor/sdk/worker';
import { dataProcess } from '@conveyor/contracts';
import type { FileStore } from '@conveyor/jobs';
import { runSteps, type PipelineOptions } from '../data/pipeline.js';
import { CONTENT_TYPES, FILE_EXTENSIONS, writeRecords, type WriteOptions } from '../data/write.js';
import { openSource } from './data-source.js';
import type { ProcessorMetrics } from '../metrics.js';

/** What the `data.process` handler needs. */
export interface DataProcessDeps {
  /** Where data sources were uploaded (read only, by owner). */
  uploads: FileStore;
  /** Where results are written. */
  artifacts: FileStore;
  /** Step tuning (sort run size, analyze cap). Default: the steps' own defaults. */
  pipeline?: PipelineOptions;
  /** Output tuning (temporary directory). Default: `os.tmpdir()`. */
  write?: WriteOptions;
  /** Where streamed records are counted. Default: not counted. */
  metrics?: ProcessorMetrics;
}

// Reading the source is most of the work; the rest of the bar is for writing out what
// sort/aggregate held back.
const READ_SHARE = 95;

/**
 * The `data.process` handler: streams the source (inline records or an upload) through the
 * steps into a new artifact owned by the job's owner, and returns the counts. Progress
 * follows the bytes (uploads) or records (inline) read. A failed or aborted attempt deletes
 * its partial artifact; the next attempt writes a new one.
 */
export function dataProcessHandler(deps: DataProcessDeps): Handler<typeof dataProcess> {
  return handle(dataProcess, async (payload, ctx) => {
    const { job, signal } = ctx;
    const { source, steps, output } = payload;
    // n.b. counted as the stream advances, so the rate is smooth on long files
    let counted = 0;
    const countIn = (records: number): void => {
      deps.metrics?.records.inc({ direction: 'in' }, Math.max(0, records - counted));
      counted = Math.max(counted, records);
    };
    const opened = await openSource(source, {
      uploads: deps.uploads,
      artifacts: deps.artifacts,
      owner: job.owner,
      onProgress: (fraction, records) => {
        countIn(records);
        ctx.progress(fraction * READ_SHARE, `${records} records read`);
      },
    });
    // n.b. a read blocked on the upload ends only when the stream does: close it on abort
    const closeOnAbort = (): void => opened.close();
    signal.addEventListener('abort', closeOnAbort, { once: true });
    const contentType = CONTENT_TYPES[output.format];
    let artifactId: string | undefined;
    try {
      signal.throwIfAborted();
      const artifact = deps.artifacts.openWrite(`${job.id}.${FILE_EXTENSIONS[output.format]}`, {
        contentType,
        owner: job.owner,
        jobId: job.id,
      });
      artifactId = artifact.id;
      const records = runSteps(opened.records, steps, signal, deps.pipeline);
      const written = await writeRecords(
        records,
        output.format,
        artifact.stream,
        signal,
        deps.write,
      );
      const recordsIn = opened.recordsRead();
      countIn(recordsIn);
      deps.metrics?.records.inc({ direction: 'out' }, written.recordsOut);
      deps.metrics?.outputBytes.inc(written.bytes);
      ctx.progress(100, `${recordsIn} records in, ${written.recordsOut} out`);
      return {
        recordsIn,
        recordsOut: written.recordsOut,
        format: output.format,
        artifactId,
        bytes: written.bytes,
        contentType,
      };
    } catch (err) {
      if (artifactId !== undefined) {
        const id = artifactId;
        await deps.artifacts.delete(id).catch((deleteErr: unknown) => {
          // n.b. the attempt's own error matters more; the orphan is logged for the purge
          ctx.log.warn({ err: deleteErr, artifactId: id }, 'could not delete the partial artifact');
        });
      }
      throw err;
    } finally {
      signal.removeEventListener('abort', closeOnAbort);
      opened.close();
    }
  });
}
