import { setTimeout as sleep } from 'node:timers/promises';
import { PermanentJobError } from '@conveyor/sdk';
import { handle, type Handler } from '@conveyor/sdk/worker';
import { exportTasks, remindTasks } from '../job-types.js';
import type { TaskStore, User } from '../tasks/task.store.js';
import { csvRow } from './csv.js';

/** The reminder mail of one user, as the built-in `email.template` job's payload. */
function reminderMail(user: User, titles: string[], publicUrl: string | undefined) {
  const n = titles.length;
  const shown = titles.slice(0, 10).map((t) => `- ${t}`);
  if (n > shown.length) shown.push(`… and ${n - shown.length} more`);
  return {
    to: `${user.name.replace(/[<>"]/g, '')} <${user.email}>`,
    template: 'notification' as const,
    data: {
      title: `You have ${n} pending task${n === 1 ? '' : 's'}`,
      message: `Hello ${user.name},\n\nThese tasks are waiting for you:\n${shown.join('\n')}`,
      ...(publicUrl
        ? { actionUrl: `${publicUrl}/users/${user.id}`, actionLabel: 'Open my tasks' }
        : {}),
    },
  };
}

/** The app's handlers, over its task store. */
export function taskHandlers(store: TaskStore, publicUrl?: string): Handler[] {
  const reminder = handle(remindTasks, async ({ userId }, ctx) => {
    let users: User[];
    if (userId !== undefined) {
      const user = await store.getUser(userId);
      if (!user) throw new PermanentJobError(`no user ${userId}`, 'USER_NOT_FOUND');
      users = [user];
    } else users = await store.listUsers();
    const emailJobs: string[] = [];
    for (const [i, user] of users.entries()) {
      ctx.signal.throwIfAborted();
      const pending = await store.pendingTasks(user.id);
      if (pending.length > 0) {
        // n.b. keyed by this job and user: a retried attempt gets the same mail job back, no second mail
        const child = await ctx.submit(
          'email.template',
          reminderMail(
            user,
            pending.map((t) => t.title),
            publicUrl,
          ),
          {
            idempotencyKey: `tasks-reminder:${ctx.job.id}:${user.id}`,
          },
        );
        emailJobs.push(child.id);
      }
      ctx.progress(((i + 1) / users.length) * 100, `${i + 1}/${users.length} users`);
    }
    ctx.log.info({ users: users.length, mailed: emailJobs.length }, 'reminders submitted');
    return { reminded: emailJobs.length, emailJobs };
  });

  const csvExport = handle(exportTasks, async ({ userId, rowDelayMs }, ctx) => {
    const user = await store.getUser(userId);
    if (!user) throw new PermanentJobError(`no user ${userId}`, 'USER_NOT_FOUND');
    const tasks = await store.listTasks(userId);
    let csv = csvRow(['id', 'title', 'done', 'due', 'createdAt']);
    for (const [i, task] of tasks.entries()) {
      // n.b. the pause stands for slow work; the signal ends it on cancel or timeout
      if (rowDelayMs > 0) await sleep(rowDelayMs, undefined, { signal: ctx.signal });
      csv += csvRow([task.id, task.title, task.done, task.due, task.createdAt]);
      ctx.progress(((i + 1) / tasks.length) * 100, `${i + 1}/${tasks.length} tasks`);
    }
    const { artifactId } = await ctx.files.write(
      {
        filename: `tasks-${user.name.replace(/[^A-Za-z0-9_-]+/g, '-')}.csv`,
        contentType: 'text/csv',
      },
      csv,
    );
    return { artifactId, rows: tasks.length };
  });

  return [reminder, csvExport];
}
