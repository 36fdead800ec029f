import { jobTypeLimitsSchema, type JobTypeLimits } from '@conveyor/contracts';
import {
  concurrencyOf,
  fairHoldKey,
  LimitSettings,
  LimitStore,
  typeOfLimit,
  type LimitOverrideDoc,
} from '@conveyor/jobs/limits';
import type { CatalogueRecord } from '@conveyor/jobs/store';
import { z } from 'zod';
import type { ApiDeps } from '../deps.js';
import { notFound } from '../http/problem.js';
import { requireAdmin } from './pause.js';
import { route, type AnyRoute } from '../http/route-table.js';

const TYPE_PARAM = '^[a-z][a-z0-9_.-]{0,99}$';

/** The `limits` of a `/v1/job-types` item (contract), as JSON Schema. */
export const jobTypeLimitsResourceSchema = {
  type: 'object',
  description:
    'Fleet-wide limits of the type: those in effect, where they come from, and how many of its jobs run under them and wait because of them',
  properties: {
    effective: { type: 'object', description: 'The limits in effect (JobTypeLimits)' },
    source: { type: 'string', enum: ['definition', 'override', 'none'] },
    defined: { type: ['object', 'null'], description: "The definition's limits" },
    override: {
      type: ['object', 'null'],
      properties: {
        limits: { type: 'object' },
        updatedAt: { type: 'string', format: 'date-time' },
        by: { type: 'string' },
      },
    },
    running: {
      type: ['integer', 'null'],
      description: 'Jobs holding a slot of the type-wide concurrency limit (null: no such limit)',
    },
    waiting: {
      type: 'integer',
      description: 'Jobs held because a concurrency limit of the type (any scope) is full',
    },
    fairWaiting: {
      type: 'integer',
      description: "Jobs of the type's queue held by fair dispatch, waiting for their turn",
    },
  },
  required: ['effective', 'source', 'defined', 'override', 'running', 'waiting', 'fairWaiting'],
} as const;

/** What the limits views read once per request. */
export interface LimitView {
  overrides: Map<string, LimitOverrideDoc>;
  holds: Map<string, number>;
  running(id: string): Promise<number>;
}

/** Reads the overrides and held counts (one small read each). */
export async function readLimitView(store: LimitStore): Promise<LimitView> {
  const [overrides, holds] = await Promise.all([store.allOverrides(), store.holdCounts()]);
  return { overrides, holds, running: (id) => store.running(id) };
}

/** The `limits` part of a type's resource. */
export async function limitsResource(r: CatalogueRecord, view: LimitView) {
  const type = r.entry.name;
  const override = view.overrides.get(type) ?? null;
  const defined = r.entry.limits ?? null;
  const effective: JobTypeLimits = override?.limits ?? defined ?? {};
  let waiting = 0;
  for (const [key, n] of view.holds)
    if (key.startsWith('limit:') && typeOfLimit(key.slice('limit:'.length)) === type) waiting += n;
  const typeLimit = concurrencyOf(`type:${type}`, effective);
  return {
    effective,
    source: override ? 'override' : defined ? 'definition' : 'none',
    defined,
    override: override
      ? { limits: override.limits, updatedAt: override.updatedAt.toISOString(), by: override.by }
      : null,
    running: typeLimit === undefined ? null : await view.running(`type:${type}`),
    waiting,
    fairWaiting: view.holds.get(fairHoldKey(r.entry.queue)) ?? 0,
  };
}

const weightSchema = z.object({ weight: z.number().min(0.01).max(1000) }).strict();

/**
 * Run-time limits (admins): `PUT /v1/job-types/{type}/limits` replaces a type's limits for
 * this deployment (they apply within about a second on every worker), `DELETE` goes back to
 * the definition's; `PUT /v1/owners/{owner}/weight` sets an owner's fair-share weight.
 */
export function limitRoutes(deps: ApiDeps): AnyRoute[] {
  const store = new LimitStore(deps.runtime.mongo);
  const settings = new LimitSettings(store);
  const { catalogue } = deps.core;

  const knownType = async (type: string) => {
    catalogue.invalidate();
    const records = await catalogue.records();
    const r = records.find((x) => x.entry.name === type);
    if (!r) throw notFound('job type');
    return r;
  };

  const put = route({
    method: 'put',
    path: '/v1/job-types/{type}/limits',
    tag: 'operations',
    summary: "Override a job type's fleet-wide limits for this deployment (admins)",
    description:
      "Replaces the definition's limits whole (`{}` lifts them all) until deleted. Workers apply the change within about a second; jobs waiting for a rate limit's later start are rescheduled under the new limits.",
    auth: 'token',
    adminOnly: true,
    params: { type: TYPE_PARAM },
    body: { schema: jobTypeLimitsSchema, required: true },
    responses: { 200: { description: 'The limits now', schema: jobTypeLimitsResourceSchema } },
    handler: async (ctx, input) => {
      const by = requireAdmin(ctx, 'changing limits');
      const type = ctx.params['type'] ?? '';
      const r = await knownType(type);
      await store.setOverride(type, input.body, by);
      await afterChange(type);
      ctx.body = await limitsResource(r, await readLimitView(store));
    },
  });

  const del = route({
    method: 'delete',
    path: '/v1/job-types/{type}/limits',
    tag: 'operations',
    summary: "Remove a job type's override: its definition's limits apply again (admins)",
    auth: 'token',
    adminOnly: true,
    params: { type: TYPE_PARAM },
    responses: { 200: { description: 'The limits now', schema: jobTypeLimitsResourceSchema } },
    handler: async (ctx) => {
      requireAdmin(ctx, 'changing limits');
      const type = ctx.params['type'] ?? '';
      const r = await knownType(type);
      if (!(await store.clearOverride(type))) throw notFound('limits override');
      await afterChange(type);
      ctx.body = await limitsResource(r, await readLimitView(store));
    },
  });

  const weight = route({
    method: 'put',
    path: '/v1/owners/{owner}/weight',
    tag: 'operations',
    summary: "Set an owner's fair-share weight (admins): turns per round against other owners",
    auth: 'token',
    adminOnly: true,
    params: { owner: '^[^/]{1,200}$' },
    body: { schema: weightSchema, required: true },
    responses: {
      200: {
        description: 'The weight now',
        schema: {
          type: 'object',
          properties: { owner: { type: 'string' }, weight: { type: 'number' } },
          required: ['owner', 'weight'],
        },
      },
    },
    handler: async (ctx, input) => {
      const by = requireAdmin(ctx, 'setting weights');
      const owner = ctx.params['owner'] ?? '';
      await store.setWeight(owner, input.body.weight, by);
      ctx.body = { owner, weight: input.body.weight };
    },
  });

  /**
   * After a change: the rate limits' waiting lines are dropped and the jobs deferred in them
   * are due now (the workers line them up again under the new limits; the log of recent
   * starts stays, so no window exceeds them); held jobs are left to the limit sweep, which
   * reads the new limits within a second.
   */
  async function afterChange(type: string): Promise<void> {
    settings.invalidate();
    await store.rates.updateOne({ _id: `type:${type}` }, { $set: { wake: null }, $inc: { v: 1 } });
    await store.resetRateLines(`owner:${type}:`);
    await store.resetRateLines(`key:${type}:`);
    const now = new Date();
    await deps.core.repo.model.collection.updateMany(
      { type, status: 'scheduled', rateSlotAt: { $gt: now } },
      { $set: { runAt: now, rateSlotAt: null } },
    );
  }

  return [put, del, weight];
}
