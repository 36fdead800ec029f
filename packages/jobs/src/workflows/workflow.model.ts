import { Schema, type Connection, type Model, type Types } from 'mongoose';
import type {
  FailurePolicy,
  Priority,
  StepInput,
  StepState,
  WorkflowStatus,
} from '@conveyor/contracts';
import { COLLECTIONS } from '../collections.js';

/** The kinds of step; a chord is stored as `[header group, body]` and runs like a chain. */
export type StepKind = 'job' | 'chain' | 'group' | 'chord';

/**
 * One step of a stored workflow. Job steps carry what their job is made of and their state;
 * composite steps only their members (their state is derived from their job steps).
 */
export interface StepDoc {
  id: string;
  kind: StepKind;
  name: string | null;
  parent: string | null;
  /** Composite steps: members in order. */
  children: string[];
  /** Job steps: the job type, the submitted payload (JSON text) and where the input goes. */
  type: string | null;
  payload: string | null;
  input: StepInput | null;
  priority: Priority | null;
  maxAttempts: number | null;
  timeoutMs: number | null;
  state: StepState;
  /** Job steps: the run of the step (a workflow retry starts failed steps again as run + 1). */
  run: number;
  jobId: string | null;
  error: { code: string; message: string } | null;
  startedAt: Date | null;
  finishedAt: Date | null;
}

/**
 * A workflow as stored: one document, its steps in a map keyed by step id, so every step's
 * state change is one conditional update of this document (`steps.<id>.state` in the filter),
 * which MongoDB applies atomically. Results stay in the steps' jobs.
 */
export interface WorkflowDoc {
  _id: Types.ObjectId;
  owner: string;
  ownerEmail: string | null;
  name: string | null;
  policy: FailurePolicy;
  status: WorkflowStatus;
  root: string;
  steps: Record<string, StepDoc>;
  /** Step ids, parents before members (the resource's order). */
  order: string[];
  /** Starts so far: 1, plus one per retry (fences a retry against a concurrent one). */
  runs: number;
  /**
   * Set when the workflow stopped (cancel, fail-fast) until its running jobs were asked to
   * cancel and its pending steps skipped: the sweep finishes what a crash interrupted.
   */
  settling: boolean;
  scheduleId: string | null;
  /**
   * A schedule's fire `schedule:<id>:<fire time ISO>`: unique, so however many scheduler
   * replicas handle one fire, one workflow exists for it. Absent on submitted workflows.
   */
  fireKey?: string;
  correlationId: string;
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
  /** When the sweep last looked at this running workflow. */
  sweptAt: Date;
}

const workflowSchema = new Schema<WorkflowDoc>(
  {
    owner: { type: String, required: true },
    ownerEmail: { type: String, default: null },
    name: { type: String, default: null },
    policy: { type: String, required: true },
    status: { type: String, required: true },
    root: { type: String, required: true },
    steps: { type: Schema.Types.Mixed, required: true },
    order: { type: [String], required: true },
    runs: { type: Number, required: true },
    settling: { type: Boolean, required: true },
    scheduleId: { type: String, default: null },
    fireKey: { type: String },
    correlationId: { type: String, required: true },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
    finishedAt: { type: Date, default: null },
    sweptAt: { type: Date, required: true },
  },
  { versionKey: false, collection: COLLECTIONS.workflows, minimize: false },
);

// Listing an owner's workflows newest first with a cursor on _id, optionally by status.
workflowSchema.index({ owner: 1, _id: -1 });
workflowSchema.index({ owner: 1, status: 1, _id: -1 });
// The sweep: running workflows least recently swept first; stopped ones still settling.
workflowSchema.index({ status: 1, sweptAt: 1 });
workflowSchema.index({ settling: 1 });
// One workflow per schedule fire (sparse: submitted workflows have no key); overlap checks.
workflowSchema.index({ fireKey: 1 }, { unique: true, sparse: true });
workflowSchema.index({ scheduleId: 1, status: 1 });

export type WorkflowModel = Model<WorkflowDoc>;

/** The workflows model bound to a connection. */
export function workflowModel(conn: Connection): WorkflowModel {
  return (
    (conn.models['Workflow'] as WorkflowModel | undefined) ??
    conn.model<WorkflowDoc>('Workflow', workflowSchema)
  );
}
