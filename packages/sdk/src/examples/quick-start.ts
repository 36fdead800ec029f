// The README's quick start ("Your own job types"), compiled with the package so it cannot
// rot; src/readme.test.ts checks that the README shows exactly this code.
import { z } from 'zod';
import { defineJobType } from '@conveyor/sdk';
import { createWorker, handle } from '@conveyor/sdk/worker';

export const resize = defineJobType({
  name: 'acme.resize',
  payload: z.object({ uploadId: z.string(), width: z.int().min(16).max(4096) }),
  result: z.object({ artifactId: z.string() }),
  defaults: { maxAttempts: 5, timeoutMs: 60_000 },
});

const worker = await createWorker({
  name: 'acme', // its queues: conveyor.acme, conveyor.acme.priority
  handlers: [
    handle(resize, async ({ uploadId, width }, ctx) => {
      const file = await ctx.files.open({ uploadId });
      ctx.progress(50, `resizing to ${width}px`);
      return ctx.files.write({ filename: 'small.png', contentType: file.contentType }, file.stream);
    }),
  ],
}); // reads RABBITMQ_URL and MONGO_URL
worker.handleSignals();
