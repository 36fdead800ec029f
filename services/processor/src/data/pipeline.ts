import type { Step } from '@conveyor/contracts';
import { abortable } from './abortable.js';
import type { DataRecord } from './record.js';
import { aggregate } from './steps/aggregate.js';
import { analyze, type AnalyzeOptions } from './steps/analyze.js';
import { clean } from './steps/clean.js';
import { filter } from './steps/filter.js';
import { limit } from './steps/limit.js';
import { project } from './steps/project.js';
import { sort, type SortOptions } from './steps/sort.js';

/** Tuning of the steps that hold state; the defaults suit production. */
export interface PipelineOptions {
  /** Options of every `sort` step. Default: see {@link SortOptions}. */
  sort?: SortOptions;
  /** Options of every `analyze` step. Default: see {@link AnalyzeOptions}. */
  analyze?: AnalyzeOptions;
}

/** Steps that consume all their input before emitting (possibly a lot). */
const HOLDING_STEPS: ReadonlySet<Step['op']> = new Set(['sort', 'aggregate', 'analyze']);

function apply(
  records: AsyncIterable<DataRecord>,
  step: Step,
  options: PipelineOptions,
): AsyncIterable<DataRecord> {
  switch (step.op) {
    case 'clean':
      return clean(records, step);
    case 'filter':
      return filter(records, step);
    case 'project':
      return project(records, step);
    case 'aggregate':
      return aggregate(records, step);
    case 'sort':
      return sort(records, step, options.sort);
    case 'limit':
      return limit(records, step);
    case 'analyze':
      return analyze(records, options.analyze);
  }
}

/**
 * Composes the `data.process` steps, in order, over a stream of records. Nothing is read
 * until the result is iterated; records flow one at a time except through `sort`,
 * `aggregate` and `analyze`, which must see all their input first. Between any two records
 * read from the source or emitted by those three, an aborted `signal` throws its reason; closing the result early (e.g. after a
 * `limit`) closes every stage and the source.
 */
export function runSteps(
  records: AsyncIterable<DataRecord>,
  steps: readonly Step[],
  signal: AbortSignal,
  options: PipelineOptions = {},
): AsyncIterable<DataRecord> {
  let out: AsyncIterable<DataRecord> = abortable(records, signal);
  for (const step of steps) {
    out = apply(out, step, options);
    // n.b. streaming steps pull from a checked source; these emit from their own state
    if (HOLDING_STEPS.has(step.op)) out = abortable(out, signal);
  }
  return out;
}
