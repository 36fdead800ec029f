import type { ConveyorClient, Schedule } from '@conveyor/client';
import { remindTasks } from '../job-types.js';

/** The name the app finds its schedule by. */
export const REMINDER_SCHEDULE = 'tasks-app: daily reminders';

/**
 * Makes sure the daily reminder schedule exists with this cron and time zone: creates it
 * on first start, corrects it when the settings changed, leaves it alone otherwise (so a
 * restart never adds a second one). Two replicas starting at the same moment could both
 * create it; run the start-up of one only, or delete the extra.
 */
export async function ensureReminderSchedule(
  client: ConveyorClient,
  settings: { cron: string; timezone: string },
): Promise<Schedule> {
  for await (const s of client.schedules.list()) {
    if (s.name !== REMINDER_SCHEDULE) continue;
    if (
      s.cron === settings.cron &&
      s.timezone === settings.timezone &&
      s.enabled &&
      s.job?.type === remindTasks.name
    )
      return s;
    return client.schedules.update(s.id, {
      cron: settings.cron,
      timezone: settings.timezone,
      enabled: true,
      job: { type: remindTasks, payload: {} },
    });
  }
  return client.schedules.create({
    name: REMINDER_SCHEDULE,
    cron: settings.cron,
    timezone: settings.timezone,
    job: { type: remindTasks, payload: {} },
    // n.b. a day's reminder that found no scheduler running is not worth sending late
    misfirePolicy: 'skip',
    overlapPolicy: 'skip',
  });
}
