/** Receives one structured event per notable thing the catcher does. */
export type CatcherLogger = (event: string, fields?: Record<string, unknown>) => void;

/** Writes JSON lines to stdout: `{"time":…,"event":…,…fields}`. */
export const jsonLinesLogger: CatcherLogger = (event, fields = {}) => {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), event, ...fields })}\n`);
};

/** Logs nothing; the default for in-process instances started by tests. */
export const silentLogger: CatcherLogger = () => {};
