import { z } from 'zod';

const schema = z.object({
  /** The web app's HTTP port. */
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  /** Where the Conveyor API is. */
  CONVEYOR_URL: z.url().default('http://127.0.0.1:3000'),
  /**
   * The app's token for the Conveyor API: jobs and schedules are owned by its `sub`.
   * Locally: `pnpm -s token --sub tasks-app --email tasks-app@example.com` in the Conveyor
   * checkout. Give this or CONVEYOR_JWT_SECRET.
   */
  CONVEYOR_TOKEN: z.string().min(1).optional(),
  /** Conveyor's JWT_SECRET, to mint the app's tokens itself (sub CONVEYOR_SUB). */
  CONVEYOR_JWT_SECRET: z.string().min(32).optional(),
  CONVEYOR_SUB: z.string().min(1).default('tasks-app'),
  CONVEYOR_JWT_ISSUER: z.string().min(1).default('conveyor'),
  CONVEYOR_JWT_AUDIENCE: z.string().min(1).default('conveyor-api'),
  /** The MongoDB server; the app keeps users and tasks in a database of its own there. */
  MONGO_URL: z.string().regex(/^mongodb(\+srv)?:\/\//, 'must be a mongodb:// URL'),
  /** The app's database on that server. */
  TASKS_DB: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,63}$/)
    .default('tasks_app'),
  /** When the daily reminder fires (cron, 5 or 6 fields). */
  REMINDER_CRON: z.string().min(1).default('0 8 * * *'),
  /** The time zone the cron expression is read in. */
  REMINDER_TIMEZONE: z.string().min(1).default('UTC'),
  /** The web app's public URL, for links in the reminder mail. */
  PUBLIC_URL: z.url().optional(),
});

const checked = schema.refine(
  (c) => (c.CONVEYOR_TOKEN === undefined) !== (c.CONVEYOR_JWT_SECRET === undefined),
  {
    message: 'give exactly one of CONVEYOR_TOKEN and CONVEYOR_JWT_SECRET',
    path: ['CONVEYOR_TOKEN'],
  },
);

/** The app's settings, parsed once at start. */
export type Config = Readonly<z.infer<typeof schema>>;

/** Parses the environment or throws naming each wrong variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = checked.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid configuration:\n${lines.join('\n')}`);
  }
  return Object.freeze(parsed.data);
}
