import { Router } from '@koa/router';
import {
  findJobType,
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
import { conflict, notFound, parseOr400, ProblemError } from '../http/problem.js';
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

/** What a submit checks beyond the tree: webhook secrets and the ownership of uploads. */
async function ownershipIssues(
  deps: ApiDeps,
  user: AuthUser,
  root: StepSpec,
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
    const def = findJobType(step.type);
    const parsed = def?.payload.safeParse(step.payload);
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
export function workflowRoutes(deps: ApiDeps, limiter: SubmissionLimiter): Router {
  const { workflows } = deps;
  const router = new Router({ prefix: '/v1/workflows' });

  router.post('/', async (ctx) => {
    const user = currentUser(ctx);
    const parsed = parseWorkflow(ctx.request.body);
    if (!parsed.ok) throw invalid(parsed.errors);
    const issues = await ownershipIssues(deps, user, parsed.root);
    if (issues.length > 0) throw invalid(issues);
    limiter.take(user.sub, parsed.jobSteps);
    const doc = await workflows.create({
      root: parsed.root,
      name: parsed.name,
      policy: parsed.policy,
      owner: user.sub,
      ownerEmail: user.email,
    });
    ctx.status = 202;
    ctx.body = toWorkflowResource(doc);
  });

  router.get('/', async (ctx) => {
    const user = currentUser(ctx);
    const q = parseOr400(listWorkflowsQuerySchema, ctx.query, '', 'Invalid query');
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
  });

  router.get('/:id', async (ctx) => {
    const doc = await workflows.store.get(ctx.params['id'] ?? '', ownerScope(currentUser(ctx)));
    if (!doc) throw notFound('workflow');
    ctx.body = toWorkflowResource(doc);
  });

  router.post('/:id/cancel', async (ctx) => {
    const owner = ownerScope(currentUser(ctx));
    const id = ctx.params['id'] ?? '';
    const doc = await workflows.cancel(id, owner);
    if (!doc) {
      if (!(await workflows.store.get(id, owner))) throw notFound('workflow');
      throw conflict('the workflow has already finished');
    }
    ctx.status = 200;
    ctx.body = toWorkflowResource(doc);
  });

  router.post('/:id/retry', async (ctx) => {
    const owner = ownerScope(currentUser(ctx));
    const res = await workflows.retry(ctx.params['id'] ?? '', owner);
    if (res.kind === 'missing') throw notFound('workflow');
    if (res.kind === 'not-retryable') throw conflict(res.reason);
    ctx.status = 202;
    ctx.body = toWorkflowResource(res.workflow);
  });

  return router;
}
