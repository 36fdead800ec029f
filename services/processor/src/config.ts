import { env, loadConfig, type Env } from '@conveyor/platform';
import { workerConfigShape } from '@conveyor/jobs';

/**
 * Processor configuration: the worker variables (see `workerConfigShape`) and
 * `METRICS_PORT` (9102).
 */
export function processorConfig(source: Env = process.env) {
  return loadConfig({ ...workerConfigShape, METRICS_PORT: env.port.default(9102) }, source);
}
