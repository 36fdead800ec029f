import { COLLECTIONS } from '../collections.js';
import { Schema, type Connection, type Model, type Types } from 'mongoose';
import {
  MISFIRE_POLICIES,
  OVERLAP_POLICIES,
  PRIORITIES,
  isTimeZone,
  type MisfirePolicy,
  type OverlapPolicy,
  type Priority,
} from '@conveyor/contracts';

/** The job a schedule submits; `payload` is JSON text for the same reason as a job's. */
export interface JobTemplateDoc {
  type: string;
  payload: string;
  priority: Priority;
  maxAttempts: number | null;
  timeoutMs: number | null;
}

/**
 * The workflow a schedule submits: the `POST /v1/workflows` body as JSON text, parsed and
 * checked again at each fire (as the API did when the schedule was saved).
 */
export interface WorkflowTemplateDoc {
  spec: string;
}

/**
 * A schedule document as stored (collection `schedules`). It submits either a job
 * (`jobTemplate`) or a workflow (`workflowTemplate`); the other is null (or, in documents
 * from before workflow schedules, absent).
 */
export interface ScheduleDoc {
  _id: Types.ObjectId;
  owner: string;
  ownerEmail: string | null;
  name: string;
  /** 5- or 6-field cron expression, evaluated in `timezone`. */
  cron: string;
  /** IANA time zone. */
  timezone: string;
  enabled: boolean;
  jobTemplate: JobTemplateDoc | null;
  workflowTemplate?: WorkflowTemplateDoc | null;
  misfirePolicy: MisfirePolicy;
  overlapPolicy: OverlapPolicy;
  /** The next fire time not yet handled; null while disabled. */
  nextFireAt: Date | null;
  lastFireAt: Date | null;
  lastJobId: string | null;
  /** The workflow of the latest fire (workflow schedules). */
  lastWorkflowId?: string | null;
  createdAt: Date;
  updatedAt: Date;
}

const scheduleSchema = new Schema<ScheduleDoc>(
  {
    owner: { type: String, required: true },
    ownerEmail: { type: String, default: null },
    name: { type: String, required: true },
    cron: { type: String, required: true },
    timezone: {
      type: String,
      required: true,
      validate: { validator: isTimeZone, message: 'unknown time zone' },
    },
    enabled: { type: Boolean, required: true },
    jobTemplate: {
      type: new Schema<JobTemplateDoc>(
        {
          type: { type: String, required: true },
          payload: { type: String, required: true },
          priority: { type: String, enum: PRIORITIES, required: true },
          maxAttempts: { type: Number, default: null },
          timeoutMs: { type: Number, default: null },
        },
        { _id: false },
      ),
      default: null,
    },
    workflowTemplate: {
      type: new Schema<WorkflowTemplateDoc>(
        { spec: { type: String, required: true } },
        { _id: false },
      ),
      default: null,
    },
    misfirePolicy: { type: String, enum: MISFIRE_POLICIES, required: true },
    overlapPolicy: { type: String, enum: OVERLAP_POLICIES, required: true },
    nextFireAt: { type: Date, default: null },
    lastFireAt: { type: Date, default: null },
    lastJobId: { type: String, default: null },
    lastWorkflowId: { type: String, default: null },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false, collection: COLLECTIONS.schedules },
);

// Cron runner: `enabled = true AND nextFireAt <= now`, and the earliest nextFireAt for its timer.
scheduleSchema.index({ enabled: 1, nextFireAt: 1 });
// Listing an owner's schedules newest first with a cursor on _id.
scheduleSchema.index({ owner: 1, _id: -1 });

export type ScheduleModel = Model<ScheduleDoc>;

/** The schedules model bound to a connection. */
export function scheduleModel(conn: Connection): ScheduleModel {
  return (
    (conn.models['Schedule'] as ScheduleModel | undefined) ??
    conn.model<ScheduleDoc>('Schedule', scheduleSchema)
  );
}
