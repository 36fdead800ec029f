import { describe, expect, it } from '@jest/globals';
import type { Connection } from 'mongoose';
import { createLogger } from '@conveyor/platform';
import { ATTEMPT_LOG_LIMITS, captureAttemptLog } from './attempt-log.js';

/** A logger at `level` whose lines are dropped before they are written. */
const quiet = (level = 'info') =>
  createLogger('test', level, {
    hooks: {
      logMethod() {
        // n.b. not calling the method: nothing reaches stdout
      },
    },
  });

/** Saves into a stand-in collection and answers what was written. */
async function saved(capture: ReturnType<typeof captureAttemptLog>, error?: unknown) {
  const writes: unknown[] = [];
  const col = {
    createIndex: async () => 'ok',
    updateOne: async (_filter: unknown, update: { $set: unknown }) => {
      writes.push(update.$set);
      return {};
    },
  };
  const conn = { collection: () => col } as unknown as Connection;
  await capture.save(conn, error);
  return writes as {
    lines: { level: string; msg: string; fields?: string }[];
    dropped: number;
    error: { stack: string | null } | null;
  }[];
}

describe('captureAttemptLog', () => {
  it('keeps what the handler logs at or above the logger level, with its fields', async () => {
    const c = captureAttemptLog({ id: 'j1', owner: 'alice', attempt: 1 }, quiet());
    c.log.info({ url: 'https://x.example', status: 422 }, 'webhook answered');
    c.log.debug('not kept: below info');
    c.log.warn('plain message');
    const [doc] = await saved(c);
    expect(doc?.lines.map((l) => [l.level, l.msg, l.fields])).toEqual([
      ['info', 'webhook answered', '{"url":"https://x.example","status":422}'],
      ['warn', 'plain message', undefined],
    ]);
    expect(doc?.error).toBeNull();
  });

  it('stores the stack of the error that ended the attempt', async () => {
    const c = captureAttemptLog({ id: 'j2', owner: 'alice', attempt: 2 }, quiet());
    const [doc] = await saved(c, new TypeError('bad row 7'));
    expect(doc?.error?.stack).toMatch(/^TypeError: bad row 7\n\s+at /);
  });

  it('caps the lines it keeps and counts the rest', async () => {
    const c = captureAttemptLog({ id: 'j3', owner: 'alice', attempt: 1 }, quiet());
    for (let i = 0; i < ATTEMPT_LOG_LIMITS.lines + 25; i++) c.log.info(`line ${i}`);
    const [doc] = await saved(c);
    expect(doc?.lines).toHaveLength(ATTEMPT_LOG_LIMITS.lines);
    expect(doc?.dropped).toBe(25);
  });

  it('writes nothing for a quiet attempt that succeeded', async () => {
    const c = captureAttemptLog({ id: 'j4', owner: 'alice', attempt: 1 }, quiet());
    expect(await saved(c)).toEqual([]);
  });

  it('is still the logger: child loggers and levels work', () => {
    const c = captureAttemptLog({ id: 'j5', owner: 'alice', attempt: 1 }, quiet('warn'));
    expect(c.log.isLevelEnabled('info')).toBe(false);
    c.log.child({ step: 'read' }).warn('from a child');
  });

  it("keeps a child logger's lines too", async () => {
    const c = captureAttemptLog({ id: 'j6', owner: 'alice', attempt: 1 }, quiet());
    c.log.child({ step: 'read' }).info('from a child');
    const [doc] = await saved(c);
    expect(doc?.lines.map((l) => l.msg)).toEqual(['from a child']);
  });
});
