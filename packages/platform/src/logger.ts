import { pino, type Logger, type LoggerOptions } from 'pino';
import { stdoutDestination } from './stdout-destination.js';

export type { Logger };

/**
 * Structured JSON logs on stdout, one line per event. `service` is bound on every line;
 * `level` comes from LOG_LEVEL via the service config. Lines go out synchronously and stop
 * when stdout's reader is gone (see {@link stdoutDestination}), so a service always exits.
 */
export function createLogger(
  service: string,
  level: string = 'info',
  options: LoggerOptions = {},
): Logger {
  return pino(
    {
      level,
      base: { service, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      ...options,
    },
    stdoutDestination(),
  );
}
