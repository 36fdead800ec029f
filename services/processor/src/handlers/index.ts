import type { FileStore, HandlerRegistration } from '@conveyor/jobs';
import { dataProcessHandler } from './data-process.js';
import { demoCountHandler } from './demo-count.js';
import { webhookDeliverHandler, type WebhookDeliverDeps } from '../webhooks/webhook-deliver.js';
import { reportGenerateHandler, type ReportDeps } from '../reports/report-generate.js';
import type { ProcessorMetrics } from '../metrics.js';

/** Every job handler the processor serves, for the worker runtime to register. */
export function processorHandlers(
  deps: {
    uploads: FileStore;
    artifacts: FileStore;
    webhooks: WebhookDeliverDeps;
    metrics?: ProcessorMetrics;
  } & Omit<ReportDeps, 'artifacts'>,
): HandlerRegistration[] {
  return [
    dataProcessHandler(deps),
    demoCountHandler(),
    webhookDeliverHandler(deps.webhooks),
    reportGenerateHandler(deps),
  ];
}
