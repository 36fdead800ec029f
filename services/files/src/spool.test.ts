import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { InputError } from './input-error.js';
import { spoolToDisk } from './spool.js';

const pieces = (n: number, size: number) =>
  Readable.from(Array.from({ length: n }, (_, i) => Buffer.alloc(size, i)));

describe('spoolToDisk', () => {
  it('copies a stream to a private file and deletes it on dispose', async () => {
    const file = await spoolToDisk(pieces(4, 1000), { maxBytes: 4000 });
    expect(file.bytes).toBe(4000);
    const bytes = await readFile(file.path);
    expect(bytes.length).toBe(4000);
    expect(bytes[3999]).toBe(3);
    await file.dispose();
    await file.dispose();
    expect(existsSync(dirname(file.path))).toBe(false);
  });

  it('stops at the limit with FILE_TOO_LARGE and leaves nothing behind', async () => {
    const before = (await readdir(tmpdir())).filter((f) => f.startsWith('conveyor-files-'));
    const err = await spoolToDisk(pieces(5, 1000), { maxBytes: 4000, what: 'PDF' }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).code).toBe('FILE_TOO_LARGE');
    expect((err as InputError).message).toBe('the PDF is larger than 3.9 KiB (the limit)');
    expect((await readdir(tmpdir())).filter((f) => f.startsWith('conveyor-files-'))).toEqual(
      before,
    );
  });

  it('rejects with the signal reason when aborted', async () => {
    const ac = new AbortController();
    const reason = new Error('timeout');
    const input = new Readable({ read() {} });
    const run = spoolToDisk(input, { maxBytes: 10, signal: ac.signal });
    ac.abort(reason);
    await expect(run).rejects.toBe(reason);
  });
});
