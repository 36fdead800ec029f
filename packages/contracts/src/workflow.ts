import { z } from 'zod';
import { JOB_LIMITS } from './job.js';
import { defineMessage } from './messages.js';
import { prioritySchema } from './priority.js';
import { unknownTypeMessage, type JobTypeLookup } from './catalogue.js';

/** A workflow's lifecycle (contract). */
export const WORKFLOW_STATUSES = ['running', 'succeeded', 'failed', 'cancelled'] as const;
export type WorkflowStatus = (typeof WORKFLOW_STATUSES)[number];

/**
 * What a workflow does when a step fails (contract): `fail-fast` cancels the running steps and
 * creates nothing further; `continue` runs every step whose inputs succeeded and reports the
 * workflow `failed` with the partial results once nothing more can run.
 */
export const FAILURE_POLICIES = ['fail-fast', 'continue'] as const;
export type FailurePolicy = (typeof FAILURE_POLICIES)[number];

/** States of one job step (contract). `created` = its job exists (queued, running, ...). */
export const STEP_STATES = [
  'pending',
  'created',
  'succeeded',
  'failed',
  'cancelled',
  'skipped',
] as const;
export type StepState = (typeof STEP_STATES)[number];

export const WORKFLOW_LIMITS = Object.freeze({
  /** Job steps in one workflow. */
  jobSteps: 500,
  /** Nesting of chain / group / chord. */
  depth: 8,
  /** Members of one chain or group. */
  members: 500,
  /** Bytes of a step's payload after the previous result was placed into it. */
  payloadBytes: 256 * 1024,
});

const pathSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9_*-]+(\.[A-Za-z0-9_*-]+)*$/, 'must be a dotted path such as data.message');

/**
 * Where a step takes the previous step's result (for the step after a group or a chord's
 * header: the members' results, in member order): `select` picks a part of it (a dotted path;
 * `*` maps over an array, e.g. `*.counted`), `as: "json"` turns it into JSON text (for a
 * message), and `into` names the payload field that receives it.
 */
export const stepInputSchema = z.strictObject({
  into: pathSchema.refine((p) => !p.includes('*'), 'into cannot contain *'),
  select: pathSchema.optional(),
  as: z.enum(['value', 'json']).default('value'),
});
export type StepInput = z.infer<typeof stepInputSchema>;

/** A job step: an ordinary job of any type. */
export const jobStepSchema = z.strictObject({
  name: z.string().trim().min(1).max(100).optional(),
  type: z.string().min(1).max(100),
  payload: z.unknown(),
  input: stepInputSchema.optional(),
  priority: prioritySchema.optional(),
  maxAttempts: z.int().min(1).max(JOB_LIMITS.maxAttempts).optional(),
  timeoutMs: z.int().min(JOB_LIMITS.minTimeoutMs).max(JOB_LIMITS.maxTimeoutMs).optional(),
});
export type JobStepSpec = z.infer<typeof jobStepSchema>;

/** A step of a workflow as submitted (contract): a job, or a chain / group / chord of steps. */
export type StepSpec =
  | ({ kind: 'job' } & JobStepSpec)
  | { kind: 'chain'; name?: string | undefined; steps: StepSpec[] }
  | { kind: 'group'; name?: string | undefined; steps: StepSpec[] }
  | { kind: 'chord'; name?: string | undefined; header: StepSpec[]; body: StepSpec };

/** Body of `POST /v1/workflows` apart from its step tree (checked by {@link parseWorkflow}). */
export const submitWorkflowSchema = z.strictObject({
  name: z.string().trim().min(1).max(200).optional(),
  policy: z.enum(FAILURE_POLICIES).default('fail-fast'),
  workflow: z.unknown(),
});

/** One field error of a workflow submission. */
export interface WorkflowIssue {
  field: string;
  message: string;
}

/** A parsed workflow submission, or every field error it has. */
export type ParsedWorkflow =
  | { ok: true; name: string | null; policy: FailurePolicy; root: StepSpec; jobSteps: number }
  | { ok: false; errors: WorkflowIssue[] };

const compositeSchema = z.strictObject({
  name: z.string().trim().min(1).max(100).optional(),
  chain: z.array(z.unknown()).min(1).max(WORKFLOW_LIMITS.members).optional(),
  group: z.array(z.unknown()).min(1).max(WORKFLOW_LIMITS.members).optional(),
  chord: z
    .strictObject({
      header: z.array(z.unknown()).min(1).max(WORKFLOW_LIMITS.members),
      body: z.unknown(),
    })
    .optional(),
});

const join = (prefix: string, path: readonly PropertyKey[]) =>
  [prefix, ...path.map(String)].filter((p) => p !== '').join('.');

const issuesOf = (error: z.ZodError, prefix: string): WorkflowIssue[] =>
  error.issues.map((i) => ({ field: join(prefix, i.path), message: i.message }));

const isPrefix = (a: readonly string[], b: readonly string[]) => a.every((s, i) => b[i] === s);

/**
 * Validates a job step's payload against its job type as a submit would, except at the field
 * that the previous result fills (`input.into`): issues at that field, inside it, or on its
 * parents' absence are left for the check when the step is created with its input.
 */
export function checkStepPayload(
  step: JobStepSpec,
  prefix: string,
  types: JobTypeLookup,
): WorkflowIssue[] {
  const known = types(step.type);
  if (!known)
    return [{ field: join(prefix, ['type']), message: unknownTypeMessage(step.type, types) }];
  const res = known.check(step.payload);
  if (res.success) return [];
  const into = step.input?.into.split('.') ?? null;
  const kept = res.issues.filter((i) => {
    if (!into) return true;
    const path = i.path.map(String);
    return !(isPrefix(path, into) || isPrefix(into, path));
  });
  return kept.map((i) => ({ field: join(prefix, ['payload', ...i.path]), message: i.message }));
}

/**
 * Parses and checks a workflow submission: the envelope, the step tree (every node exactly
 * one of a job step, `chain`, `group` or `chord`), every job step's payload against its type,
 * and the limits of {@link WORKFLOW_LIMITS}. Field names point into the body
 * (`workflow.chain.1.payload.to`).
 */
export function parseWorkflow(body: unknown, types: JobTypeLookup): ParsedWorkflow {
  const env = submitWorkflowSchema.safeParse(body);
  if (!env.success) return { ok: false, errors: issuesOf(env.error, '') };
  const errors: WorkflowIssue[] = [];
  let jobSteps = 0;

  const walk = (node: unknown, at: string, depth: number): StepSpec | null => {
    if (depth > WORKFLOW_LIMITS.depth) {
      errors.push({ field: at, message: `nests deeper than ${WORKFLOW_LIMITS.depth} levels` });
      return null;
    }
    if (typeof node !== 'object' || node === null || Array.isArray(node)) {
      errors.push({ field: at, message: 'must be a step object' });
      return null;
    }
    if ('type' in node) {
      const parsed = jobStepSchema.safeParse(node);
      if (!parsed.success) {
        errors.push(...issuesOf(parsed.error, at));
        return null;
      }
      jobSteps++;
      const payloadIssues = checkStepPayload(parsed.data, at, types);
      errors.push(...payloadIssues);
      return payloadIssues.length > 0 ? null : { kind: 'job', ...parsed.data };
    }
    const parsed = compositeSchema.safeParse(node);
    if (!parsed.success) {
      errors.push(...issuesOf(parsed.error, at));
      return null;
    }
    const c = parsed.data;
    const kinds = (['chain', 'group', 'chord'] as const).filter((k) => c[k] !== undefined);
    if (kinds.length !== 1) {
      errors.push({ field: at, message: 'needs exactly one of type, chain, group or chord' });
      return null;
    }
    const name = c.name;
    const list = (items: unknown[], where: string) =>
      items.map((s, i) => walk(s, `${where}.${i}`, depth + 1));
    if (c.chord) {
      const header = list(c.chord.header, join(at, ['chord', 'header']));
      const bodyStep = walk(c.chord.body, join(at, ['chord', 'body']), depth + 1);
      if (!bodyStep || header.some((h) => h === null)) return null;
      return { kind: 'chord', name, header: header as StepSpec[], body: bodyStep };
    }
    const kind = kinds[0] as 'chain' | 'group';
    const steps = list(c[kind] ?? [], join(at, [kind]));
    if (steps.some((s) => s === null)) return null;
    return { kind, name, steps: steps as StepSpec[] };
  };

  const root = walk(env.data.workflow, 'workflow', 1);
  if (jobSteps > WORKFLOW_LIMITS.jobSteps)
    errors.push({
      field: 'workflow',
      message: `has ${jobSteps} job steps; at most ${WORKFLOW_LIMITS.jobSteps} are allowed`,
    });
  if (errors.length > 0 || !root) return { ok: false, errors };
  return { ok: true, name: env.data.name ?? null, policy: env.data.policy, root, jobSteps };
}

/** One step of the workflow resource (contract). */
export const workflowStepResourceSchema = z.object({
  id: z.string(),
  kind: z.enum(['job', 'chain', 'group', 'chord']),
  name: z.string().nullable(),
  /** Job steps: the job type. */
  type: z.string().nullable(),
  /** Composite steps: derived from their members. */
  state: z.enum(STEP_STATES),
  /** Job steps: the job of the current run (null before it exists). */
  jobId: z.string().nullable(),
  /** Job steps: how often the step was (re)started by a workflow retry, from 1. */
  run: z.int().nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  /** Composite steps: member step ids, in order (a chord: header group, then body). */
  steps: z.array(z.string()),
});
export type WorkflowStepResource = z.infer<typeof workflowStepResourceSchema>;

/** The workflow resource the API returns (contract). */
export const workflowResourceSchema = z.object({
  id: z.string(),
  name: z.string().nullable(),
  status: z.enum(WORKFLOW_STATUSES),
  policy: z.enum(FAILURE_POLICIES),
  owner: z.string(),
  /** The root step's id; `steps` lists every step, parents before members. */
  root: z.string(),
  steps: z.array(workflowStepResourceSchema),
  /** Job steps per state. */
  counts: z.record(z.string(), z.int()),
  runs: z.int(),
  scheduleId: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  finishedAt: z.string().nullable(),
});
export type WorkflowResource = z.infer<typeof workflowResourceSchema>;

/** Workflow lifecycle event on `conveyor.events`, routing key `workflow.<status>`. */
export const workflowLifecycleEvent = defineMessage(
  'workflow.lifecycle',
  1,
  z.object({
    workflowId: z.string(),
    owner: z.string(),
    status: z.enum(WORKFLOW_STATUSES),
    counts: z.record(z.string(), z.int()),
  }),
);

/** The routing key of a workflow lifecycle event. */
export const workflowEventKey = (status: WorkflowStatus) => `workflow.${status}`;

/** The job type names a workflow submission mentions (for a catalogue lookup before parsing). */
export function typesIn(spec: unknown, depth = 0): string[] {
  if (depth > WORKFLOW_LIMITS.depth + 2 || typeof spec !== 'object' || spec === null) return [];
  if (Array.isArray(spec)) return spec.flatMap((s) => typesIn(s, depth + 1));
  const node = spec as Record<string, unknown>;
  const own = typeof node.type === 'string' ? [node.type] : [];
  const nested = ['workflow', 'chain', 'group', 'chord', 'header', 'body'].flatMap((k) =>
    typesIn(node[k], depth + 1),
  );
  return [...own, ...nested];
}
