import type { JobTypeDefinition } from './job-type.js';
import type { WorkerService } from './topology.js';
import { demoCount } from './job-types/demo.js';
import { emailDigest, emailSend, emailTemplate } from './job-types/email.js';
import { dataProcess } from './job-types/data.js';
import { webhookDeliver } from './job-types/webhook.js';
import { reportGenerate } from './job-types/report.js';

/** Every job type Conveyor runs, by name. */
export const jobTypes = Object.freeze({
  [emailSend.name]: emailSend,
  [emailTemplate.name]: emailTemplate,
  [emailDigest.name]: emailDigest,
  [dataProcess.name]: dataProcess,
  [reportGenerate.name]: reportGenerate,
  [webhookDeliver.name]: webhookDeliver,
  [demoCount.name]: demoCount,
} as const);

export type JobTypeName = keyof typeof jobTypes;
export const JOB_TYPE_NAMES = Object.freeze(Object.keys(jobTypes) as JobTypeName[]);

export function isJobTypeName(name: string): name is JobTypeName {
  return Object.prototype.hasOwnProperty.call(jobTypes, name);
}

/** The definition of a job type, or undefined for an unknown name. */
export function findJobType(name: string): JobTypeDefinition | undefined {
  return isJobTypeName(name) ? jobTypes[name] : undefined;
}

/** The job types a worker service consumes. */
export function jobTypesOf(service: WorkerService): JobTypeDefinition[] {
  return Object.values(jobTypes).filter((t) => t.service === service);
}
