import { isJobTypeDefinition, type JobTypeDefinition } from './job-type.js';
import * as shipped from './job-types/index.js';

/** The job types Conveyor ships, collected from the exports of `job-types/`. */
export function builtinJobTypes(): readonly JobTypeDefinition[] {
  return Object.values(shipped as Record<string, unknown>).filter(isJobTypeDefinition);
}
