import type { FailurePolicy, ScheduleResource } from '@conveyor/contracts';
import { nextFireTimes } from './cron.js';
import type { ScheduleDoc } from './schedule.model.js';

/** How many upcoming fire times the resource lists. */
const UPCOMING = 5;

/** A stored workflow template as the resource shows it (name and policy with their defaults). */
function workflowOf(spec: string): NonNullable<ScheduleResource['workflow']> {
  const body = JSON.parse(spec) as { name?: string; policy?: FailurePolicy; workflow?: unknown };
  return { name: body.name ?? null, policy: body.policy ?? 'fail-fast', workflow: body.workflow };
}

/** The API's view of a schedule, with its next five fire times from `now` (none while disabled). */
export function toScheduleResource(s: ScheduleDoc, now = new Date()): ScheduleResource {
  const t = s.jobTemplate;
  return {
    id: s._id.toHexString(),
    name: s.name,
    cron: s.cron,
    timezone: s.timezone,
    enabled: s.enabled,
    job: t
      ? {
          type: t.type,
          payload: JSON.parse(t.payload) as unknown,
          priority: t.priority,
          maxAttempts: t.maxAttempts,
          timeoutMs: t.timeoutMs,
        }
      : null,
    workflow: s.workflowTemplate ? workflowOf(s.workflowTemplate.spec) : null,
    misfirePolicy: s.misfirePolicy,
    overlapPolicy: s.overlapPolicy,
    nextFireTimes: s.enabled
      ? nextFireTimes(s.cron, s.timezone, now, UPCOMING).map((d) => d.toISOString())
      : [],
    lastFireAt: s.lastFireAt?.toISOString() ?? null,
    lastJobId: s.lastJobId,
    lastWorkflowId: s.lastWorkflowId ?? null,
    owner: s.owner,
    createdAt: s.createdAt.toISOString(),
  };
}
