// The BullMQ worker of the comparison, in a process of its own as Conveyor's processor is:
// the same no-op as `demo.count {to:0}` (report 100% progress once, return {counted: 0}).
//
//   node worker.mjs <redis host> <redis port> <queue> <concurrency>
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';

const [host, port, queue, concurrency] = process.argv.slice(2);
const worker = new Worker(
  queue,
  async (job) => {
    await job.updateProgress(100);
    return { counted: 0 };
  },
  {
    // n.b. BullMQ 6 under ESM takes a constructed client; workers need maxRetriesPerRequest null
    connection: new Redis({ host, port: Number(port), maxRetriesPerRequest: null }),
    concurrency: Number(concurrency),
  },
);
worker.on('error', (error) => console.error(`[bullmq worker] ${error.message}`));
await worker.waitUntilReady();
process.send?.('ready');
process.on('SIGTERM', () => {
  void worker.close().then(() => process.exit(0));
});
