import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import Koa from 'koa';
import { Router } from '@koa/router';
import { z } from 'zod';
import { NotFoundError, type ConveyorClient, type Schedule } from '@conveyor/client';
import type { PayloadOf } from '@conveyor/sdk';
import { exportTasks, remindTasks } from '../job-types.js';
import type { TaskStore } from '../tasks/task.store.js';
import { streamExport } from './export-events.js';
import { PAGE } from './page.js';
import { HttpProblem, jsonBody, parseOr400, problems } from './problem.js';

const newUser = z.strictObject({
  name: z.string().trim().min(1).max(100),
  email: z.email().max(200),
});
const newTask = z.strictObject({
  title: z.string().trim().min(1).max(200),
  due: z.iso.date().optional(),
});
const taskPatch = z.strictObject({ done: z.boolean() });
const exportOptions = z.strictObject({ rowDelayMs: exportTasks.payload.shape.rowDelayMs });

/** What the web app works with. */
export interface WebDeps {
  store: TaskStore;
  client: ConveyorClient;
  /** The daily reminder schedule (see ensureReminderSchedule). */
  schedule: Schedule;
}

/**
 * The web app: users and tasks as JSON, exports started as Conveyor jobs with their
 * progress as SSE and their CSV as a download, the reminder schedule, and the page.
 */
export function createApp({ store, client, schedule }: WebDeps): Koa {
  const app = new Koa();
  const router = new Router();

  const userOf = async (id: string) => {
    const user = await store.getUser(id);
    if (!user) throw new HttpProblem(404, 'No such user');
    return user;
  };

  /** The export job, if it is one of this user's. */
  const exportOf = async (userId: string, jobId: string) => {
    if (!/^[a-f0-9]{24}$/.test(jobId)) throw new HttpProblem(404, 'No such export');
    try {
      const job = await client.get(jobId);
      const payload = job.payload as Partial<PayloadOf<typeof exportTasks>>;
      if (job.type === exportTasks.name && payload.userId === userId) return job;
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
    throw new HttpProblem(404, 'No such export');
  };

  router.get('/', (ctx) => {
    ctx.type = 'html';
    ctx.body = PAGE;
  });
  router.get('/healthz', (ctx) => {
    ctx.body = { ok: true };
  });

  router.get('/users', async (ctx) => {
    ctx.body = await store.listUsers();
  });
  router.post('/users', async (ctx) => {
    const input = parseOr400(newUser, await jsonBody(ctx));
    const user = await store.createUser(input);
    if (!user) throw new HttpProblem(409, 'That email address has an account already');
    ctx.status = 201;
    ctx.body = user;
  });

  router.get('/users/:userId/tasks', async (ctx) => {
    const user = await userOf(ctx.params['userId'] ?? '');
    ctx.body = await store.listTasks(user.id);
  });
  router.post('/users/:userId/tasks', async (ctx) => {
    const user = await userOf(ctx.params['userId'] ?? '');
    const input = parseOr400(newTask, await jsonBody(ctx));
    ctx.status = 201;
    ctx.body = await store.createTask(user.id, input);
  });
  router.patch('/users/:userId/tasks/:taskId', async (ctx) => {
    const user = await userOf(ctx.params['userId'] ?? '');
    const { done } = parseOr400(taskPatch, await jsonBody(ctx));
    const task = await store.setDone(user.id, ctx.params['taskId'] ?? '', done);
    if (!task) throw new HttpProblem(404, 'No such task');
    ctx.body = task;
  });

  // A reminder for one user now (the daily schedule reminds everyone).
  router.post('/users/:userId/reminders', async (ctx) => {
    const user = await userOf(ctx.params['userId'] ?? '');
    const job = await client.submit(remindTasks, { userId: user.id });
    ctx.status = 202;
    ctx.body = { jobId: job.id };
  });

  // The export: a slow job of the app's own, its progress live on the events route.
  router.post('/users/:userId/exports', async (ctx) => {
    const user = await userOf(ctx.params['userId'] ?? '');
    const sent = ctx.request.length ? await jsonBody(ctx) : {};
    const { rowDelayMs } = parseOr400(exportOptions, sent);
    const job = await client.submit(exportTasks, { userId: user.id, rowDelayMs });
    const base = `/users/${user.id}/exports/${job.id}`;
    ctx.status = 202;
    ctx.body = {
      jobId: job.id,
      status: job.status,
      events: `${base}/events`,
      download: `${base}/download`,
    };
  });
  router.get('/users/:userId/exports/:jobId', async (ctx) => {
    const job = await exportOf(ctx.params['userId'] ?? '', ctx.params['jobId'] ?? '');
    ctx.body = {
      jobId: job.id,
      status: job.status,
      progress: job.progress,
      result: job.result,
      error: job.error,
    };
  });
  router.get('/users/:userId/exports/:jobId/events', async (ctx) => {
    const job = await exportOf(ctx.params['userId'] ?? '', ctx.params['jobId'] ?? '');
    streamExport(ctx, client, job.id);
  });
  router.get('/users/:userId/exports/:jobId/download', async (ctx) => {
    const job = await exportOf(ctx.params['userId'] ?? '', ctx.params['jobId'] ?? '');
    if (job.status !== 'succeeded') throw new HttpProblem(409, `The export is ${job.status}`);
    const res = await client.result(job);
    ctx.type = res.headers.get('content-type') ?? 'text/csv';
    const disposition = res.headers.get('content-disposition');
    if (disposition) ctx.set('Content-Disposition', disposition);
    ctx.body = res.body ? Readable.fromWeb(res.body as WebReadableStream<Uint8Array>) : '';
  });

  // The daily reminder schedule, and a way to fire it now.
  router.get('/reminders/schedule', async (ctx) => {
    ctx.body = await client.schedules.get(schedule.id);
  });
  router.post('/reminders/trigger', async (ctx) => {
    const fired = await client.schedules.trigger(schedule.id);
    if (fired.kind !== 'job')
      throw new HttpProblem(500, 'The reminder schedule submitted a workflow');
    ctx.status = 202;
    ctx.body = { jobId: fired.job.id };
  });

  app.use(problems);
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
