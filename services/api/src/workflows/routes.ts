import {
  typesIn,
  type JobTypeLookup,
  parseWorkflow,
  webhookDeliver,
  type StepSpec,
  type WorkflowIssue,
} from '@conveyor/contracts';
import { toWorkflowResource } from '@conveyor/jobs/workflows';
import { currentUser } from '../auth/middleware.js';
import { ownerScope, type AuthUser } from '../auth/user.js';
import type { ApiDeps } from '../deps.js';
import type { SubmissionLimiter } from '../http/rate-limit.js';
import { conflict, notFound, ProblemError } from '../http/problem.js';
import { route, schemaRef, type AnyRoute } from '../http/route-table.js';
import { ID_PATTERN, pageOf, problemAnswer } from '../http/schemas.js';
import { listWorkflowsQuerySchema } from './list-query.js';

const invalid = (errors: WorkflowIssue[]) =>
  new ProblemError(400, 'Invalid request', 'The request has invalid fields; see errors.', errors);

/** Every job step of a tree with its field path in the body. */
function jobSteps(
  node: StepSpec,
  at: string,
): { step: Extract<StepSpec, { kind: 'job' }>; at: string }[] {
  if (node.kind === 'job') return [{ step: node, at }];
  if (node.kind === 'chord')
    return [
      ...node.header.flatMap((s, i) => jobSteps(s, `${at}.chord.header.${i}`)),
      ...jobSteps(node.body, `${at}.chord.body`),
    ];
  return node.steps.flatMap((s, i) => jobSteps(s, `${at}.${node.kind}.${i}`));
}

/**
 * What a submit checks beyond the tree: webhook secrets, the ownership of uploads and of
 * digested jobs. Also applied to a schedule's workflow when it is saved.
 */
export async function ownershipIssues(
  deps: Pick<ApiDeps, 'webhookSecrets' | 'uploads'>,
  user: AuthUser,
  root: StepSpec,
  types: JobTypeLookup,
): Promise<WorkflowIssue[]> {
  const issues: WorkflowIssue[] = [];
  const steps = jobSteps(root, 'workflow');
  if (
    steps.some((s) => s.step.type === webhookDeliver.name) &&
    !(await deps.webhookSecrets.exists(user.sub))
  )
    for (const s of steps.filter((x) => x.step.type === webhookDeliver.name))
      issues.push({
        field: `${s.at}.type`,
        message:
          'webhooks are signed with your secret: create one first with POST /v1/webhooks/secret',
      });
  for (const { step, at } of steps) {
    // n.b. hooks exist where this process has the type's definition in code (built-ins)
    const def = types(step.type)?.definition;
    const parsed = def?.payload.safeParse(step.payload);
    if (def?.ownersOf && parsed?.success)
      for (const { field, owner } of def.ownersOf(parsed.data))
        if (owner !== user.sub)
          issues.push({ field: `${at}.payload.${field}`, message: 'must be your own subject' });
    if (!def?.uploadsOf || !parsed?.success) continue;
    for (const { field, uploadId } of def.uploadsOf(parsed.data))
      if (!(await deps.uploads.find(uploadId, user.admin ? undefined : user.sub)))
        issues.push({ field: `${at}.payload.${field}`, message: 'no such upload' });
  }
  return issues;
}

/**
 * `/v1/workflows`: submit a tree of steps (chain, group, chord of jobs), read, list, cancel,
 * retry. Owner-scoped like jobs: another owner's workflow is 404.
 */
export function workflowRoutes(deps: ApiDeps, limiter: SubmissionLimiter): AnyRoute[] {
  const { workflows } = deps;
  const out = (description: string) => ({ description, schema: schemaRef('WorkflowResource') });
  const idParams = { id: ID_PATTERN };

  const submit = route<unknown, unknown>({
    method: 'post',
    path: '/v1/workflows',
    tag: 'workflows',
    summary: 'Submit a workflow (chain, group, chord of jobs; nests)',
    auth: 'token',
    limited: true,
    body: { schema: schemaRef('SubmitWorkflow'), required: true },
    responses: { 202: out('Accepted; the first steps are queued') },
    handler: async (ctx, { body }) => {
      const user = currentUser(ctx);
      const types = await deps.core.catalogue.lookup(typesIn(body));
      const parsed = parseWorkflow(body, types);
      if (!parsed.ok) throw invalid(parsed.errors);
      const issues = await ownershipIssues(deps, user, parsed.root, types);
      if (issues.length > 0) throw invalid(issues);
      await limiter.take(user.sub, parsed.jobSteps);
      const doc = await workflows.create({
        root: parsed.root,
        name: parsed.name,
        policy: parsed.policy,
        owner: user.sub,
        ownerEmail: user.email,
      });
      ctx.status = 202;
      ctx.body = toWorkflowResource(doc);
    },
  });

  const list = route({
    method: 'get',
    path: '/v1/workflows',
    tag: 'workflows',
    summary: 'List my workflows (newest first)',
    auth: 'token',
    query: listWorkflowsQuerySchema,
    responses: {
      200: { description: 'A page of workflows', schema: pageOf(schemaRef('WorkflowResource')) },
    },
    handler: async (ctx, { query: q }) => {
      const user = currentUser(ctx);
      const docs = await workflows.store.list({
        owner: ownerScope(user),
        status: q.status,
        before: q.cursor,
        limit: q.limit,
      });
      const last = docs.at(-1);
      ctx.body = {
        items: docs.map(toWorkflowResource),
        nextCursor: docs.length === q.limit && last ? last._id.toHexString() : null,
      };
    },
  });

  const read = route({
    method: 'get',
    path: '/v1/workflows/{id}',
    tag: 'workflows',
    summary: 'A workflow with every step’s state and job id',
    auth: 'token',
    params: idParams,
    responses: { 200: out('The workflow') },
    handler: async (ctx) => {
      const doc = await workflows.store.get(ctx.params['id'] ?? '', ownerScope(currentUser(ctx)));
      if (!doc) throw notFound('workflow');
      ctx.body = toWorkflowResource(doc);
    },
  });

  const cancel = route({
    method: 'post',
    path: '/v1/workflows/{id}/cancel',
    tag: 'workflows',
    summary: 'Cancel: nothing further starts, running steps are cancelled',
    auth: 'token',
    params: idParams,
    responses: { 200: out('Cancelled'), 409: problemAnswer('Already finished') },
    handler: async (ctx) => {
      const owner = ownerScope(currentUser(ctx));
      const id = ctx.params['id'] ?? '';
      const doc = await workflows.cancel(id, owner);
      if (!doc) {
        if (!(await workflows.store.get(id, owner))) throw notFound('workflow');
        throw conflict('the workflow has already finished');
      }
      ctx.status = 200;
      ctx.body = toWorkflowResource(doc);
    },
  });

  const retry = route({
    method: 'post',
    path: '/v1/workflows/{id}/retry',
    tag: 'workflows',
    summary: 'Retry a failed or cancelled workflow: only failed and never-run steps run again',
    auth: 'token',
    params: idParams,
    responses: {
      202: out('Running again'),
      409: problemAnswer('Not failed or cancelled, or steps still stopping'),
    },
    handler: async (ctx) => {
      const owner = ownerScope(currentUser(ctx));
      const res = await workflows.retry(ctx.params['id'] ?? '', owner);
      if (res.kind === 'missing') throw notFound('workflow');
      if (res.kind === 'not-retryable') throw conflict(res.reason);
      ctx.status = 202;
      ctx.body = toWorkflowResource(res.workflow);
    },
  });

  return [submit, list, read, cancel, retry];
}
