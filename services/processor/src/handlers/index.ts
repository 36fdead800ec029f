import type { FileStore, HandlerRegistration } from '@conveyor/jobs';
import { dataProcessHandler } from './data-process.js';
import { demoCountHandler } from './demo-count.js';

/** Every job handler the processor serves, for the worker runtime to register. */
export function processorHandlers(deps: {
  uploads: FileStore;
  artifacts: FileStore;
}): HandlerRegistration[] {
  return [dataProcessHandler(deps), demoCountHandler()];
}
