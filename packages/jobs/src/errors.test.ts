import { describe, expect, it } from '@jest/globals';
import {
  classifyError,
  JobCancelledError,
  JobTimeoutError,
  PermanentJobError,
  RetryableJobError,
} from './errors.js';

describe('classifyError', () => {
  it('keeps code and retryability of the job errors', () => {
    expect(classifyError(new PermanentJobError('bad input', 'INVALID'))).toEqual({
      code: 'INVALID',
      message: 'bad input',
      retryable: false,
    });
    expect(
      classifyError(new RetryableJobError('busy', 'SMTP_4XX', { retryAfterMs: 2500 })),
    ).toEqual({ code: 'SMTP_4XX', message: 'busy', retryable: true, retryAfterMs: 2500 });
    expect(classifyError(new JobTimeoutError(300))).toMatchObject({
      code: 'TIMEOUT',
      retryable: true,
    });
    expect(classifyError(new JobCancelledError())).toMatchObject({
      code: 'CANCELLED',
      retryable: false,
    });
  });

  it('classifies by code and retryable, not by class (a second copy of the package)', () => {
    const foreign = Object.assign(new Error('from elsewhere'), { code: 'X', retryable: false });
    expect(classifyError(foreign)).toEqual({
      code: 'X',
      message: 'from elsewhere',
      retryable: false,
    });
  });

  it('treats anything else as a retryable handler error', () => {
    expect(classifyError(new TypeError('boom'))).toEqual({
      code: 'HANDLER_ERROR',
      message: 'boom',
      retryable: true,
    });
    expect(classifyError('a string')).toEqual({
      code: 'HANDLER_ERROR',
      message: 'a string',
      retryable: true,
    });
    // a `retryable` that is not a boolean does not count
    expect(classifyError({ code: 'Y', retryable: 'yes' })).toMatchObject({ code: 'HANDLER_ERROR' });
  });
});
