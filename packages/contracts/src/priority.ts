import { z } from 'zod';
import type { Lane } from './topology.js';

/** Job priorities, lowest first. `high` and `urgent` travel in the priority lane. */
export const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export const prioritySchema = z.enum(PRIORITIES);
export type Priority = z.infer<typeof prioritySchema>;

/** Numeric rank (higher runs first); also used as the AMQP `priority` property. */
export function priorityRank(p: Priority): number {
  return PRIORITIES.indexOf(p) * 3; // 0, 3, 6, 9
}

export function laneOf(p: Priority): Lane {
  return p === 'high' || p === 'urgent' ? 'priority' : 'standard';
}
