/**
 * The tasks app: `node dist/main.js [web|worker|all]` (default all). The web part serves
 * the app and talks to Conveyor with @conveyor/client; the worker part runs the app's job
 * types with @conveyor/sdk/worker. Both share the app's MongoDB database.
 */
import type { Server } from 'node:http';
import { ConveyorClient } from '@conveyor/client';
import { createWorker, type ConveyorWorker } from '@conveyor/sdk/worker';
import { loadConfig } from './config.js';
import { TaskStore } from './tasks/task.store.js';
import { createApp } from './web/app.js';
import { ensureReminderSchedule } from './web/reminder-schedule.js';
import { serviceTokens } from './web/service-token.js';
import { taskHandlers } from './worker/handlers.js';

const role = process.argv[2] ?? process.env['ROLE'] ?? 'all';
if (!['web', 'worker', 'all'].includes(role)) {
  console.error(`usage: node dist/main.js [web|worker|all] (got ${role})`);
  process.exit(2);
}

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}
const store = await TaskStore.open(config.MONGO_URL, config.TASKS_DB);
let server: Server | undefined;
let worker: ConveyorWorker | undefined;

if (role !== 'web') {
  // n.b. the worker registers its job types in Conveyor's catalogue before the web part
  // creates the schedule that names one of them
  worker = await createWorker({ name: 'tasks', handlers: taskHandlers(store, config.PUBLIC_URL) });
  console.log(JSON.stringify({ msg: 'tasks worker started', metricsPort: worker.metricsPort }));
}

if (role !== 'worker') {
  const client = new ConveyorClient({
    baseUrl: config.CONVEYOR_URL,
    ...(config.CONVEYOR_TOKEN !== undefined
      ? { token: config.CONVEYOR_TOKEN }
      : {
          getToken: serviceTokens({
            secret: config.CONVEYOR_JWT_SECRET!,
            sub: config.CONVEYOR_SUB,
            issuer: config.CONVEYOR_JWT_ISSUER,
            audience: config.CONVEYOR_JWT_AUDIENCE,
          }),
        }),
  });
  const schedule = await ensureReminderSchedule(client, {
    cron: config.REMINDER_CRON,
    timezone: config.REMINDER_TIMEZONE,
  });
  const app = createApp({ store, client, schedule });
  app.on('error', (err: unknown) => console.error(err));
  server = app.listen(config.PORT);
  await new Promise<void>((resolve) => server!.once('listening', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  console.log(JSON.stringify({ msg: 'tasks web listening', port, scheduleId: schedule.id }));
}

let closing = false;
async function shutdown(signal: string): Promise<void> {
  if (closing) process.exit(1);
  closing = true;
  console.log(JSON.stringify({ msg: 'shutting down', signal }));
  // n.b. open event streams would hold close() forever: they get 5 s, then are cut
  const cut = setTimeout(() => server?.closeAllConnections(), 5_000);
  server?.closeIdleConnections();
  await Promise.all([
    server ? new Promise((resolve) => server!.close(resolve)) : undefined,
    worker?.close(),
  ]);
  clearTimeout(cut);
  await store.close();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
