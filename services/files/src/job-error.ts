import { PermanentJobError } from '@conveyor/sdk';
import { InputError } from './input-error.js';

/**
 * What a handler throws for `err`: an input problem becomes a `PermanentJobError` with the same
 * code and message (the job fails at once, naming what was wrong); anything else (a store
 * outage, a cancel) is thrown as it is, for the runtime to classify.
 */
export function asJobError(err: unknown): unknown {
  return err instanceof InputError ? new PermanentJobError(err.message, err.code) : err;
}
