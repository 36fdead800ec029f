import type { FileStore } from '@conveyor/jobs';
import type { Handler } from '@conveyor/sdk/worker';
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
): Handler[] {
  return [
    dataProcessHandler(deps),
    demoCountHandler(),
    webhookDeliverHandler(deps.webhooks),
    reportGenerateHandler(deps),
  ];
}
