/**
 * The app's own job types. Pure definitions: the web part imports them to submit (typed by
 * the client), the worker part to handle them.
 */
import { z } from 'zod';
import { defineJobType } from '@conveyor/sdk';

/** Mails each user with pending tasks (or only `userId`) how many they have. */
export const remindTasks = defineJobType({
  name: 'tasks.reminder',
  description: 'Mails each user (or one) a summary of their pending tasks.',
  payload: z.strictObject({
    /** Remind only this user. @default every user with pending tasks */
    userId: z.string().min(1).max(100).optional(),
  }),
  result: z.object({
    /** How many users were mailed. */
    reminded: z.int(),
    /** The email jobs submitted, one per user. */
    emailJobs: z.array(z.string()),
  }),
  defaults: { maxAttempts: 3, timeoutMs: 60_000 },
});

/** Writes a user's tasks as CSV, one row at a time (slowly, to show progress). */
export const exportTasks = defineJobType({
  name: 'tasks.export',
  description: "Builds a CSV of a user's tasks, reporting progress, and stores it as an artifact.",
  payload: z.strictObject({
    userId: z.string().min(1).max(100),
    /** A pause per row, so the export is slow enough to watch. @default 300 */
    rowDelayMs: z.int().min(0).max(5_000).default(300),
  }),
  result: z.object({ artifactId: z.string(), rows: z.int() }),
  defaults: { maxAttempts: 2, timeoutMs: 10 * 60_000 },
});
