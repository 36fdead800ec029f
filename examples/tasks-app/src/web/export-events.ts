import { PassThrough } from 'node:stream';
import type { Context } from 'koa';
import type { ConveyorClient } from '@conveyor/client';
import type { exportTasks } from '../job-types.js';
import type { ResultOf } from '@conveyor/sdk';

type ExportResult = ResultOf<typeof exportTasks>;

/**
 * Answers with a text/event-stream of one export job for the browser: `progress`
 * ({percent, message}) and `status` ({status, rows?, error?}) events, read from Conveyor
 * with the client's `events()` iterator. Ends when the job is final or the browser leaves.
 */
export function streamExport(ctx: Context, client: ConveyorClient, jobId: string): void {
  const body = new PassThrough();
  const leave = new AbortController();
  const send = (event: string, data: unknown) =>
    body.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  ctx.req.on('close', () => leave.abort());
  ctx.req.socket.setTimeout(0);
  ctx.status = 200;
  ctx.type = 'text/event-stream';
  ctx.set('Cache-Control', 'no-cache, no-transform');
  ctx.set('X-Accel-Buffering', 'no');
  ctx.body = body;
  void (async () => {
    try {
      for await (const event of client.events<ExportResult>(jobId, { signal: leave.signal })) {
        if (event.type === 'job') {
          const { status, progress, result, error } = event.job;
          if (progress) send('progress', progress);
          send('status', { status, rows: result?.rows, error });
        } else if (event.type === 'progress') send('progress', event.data.progress);
        else if (event.type === 'lifecycle') {
          const { status, error } = event.data;
          if (status !== 'succeeded') {
            send('status', { status, error });
            continue;
          }
          // n.b. a success stores the handler's last progress with the outcome, without an
          // event of its own: read it back with the result
          const job = await client.get<ExportResult>(jobId);
          if (job.progress) send('progress', job.progress);
          send('status', { status, rows: job.result?.rows, error });
        }
      }
    } catch (err) {
      if (!leave.signal.aborted)
        send('error', { message: err instanceof Error ? err.message : String(err) });
    } finally {
      body.end();
    }
  })();
}
