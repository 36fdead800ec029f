import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pageText, pdfDocument, photo, truncated } from '../testing/fixtures.js';
import { startFilesSystem, type FilesSystem } from '../testing/system.js';

let sys: FilesSystem;
let alice: string;

beforeAll(async () => {
  // n.b. a low page limit, to see it enforced without a huge document
  sys = await startFilesSystem({ filesEnv: { PDF_MAX_PAGES: '250' } });
  alice = sys.token('alice', 'alice@example.com');
}, 90_000);

afterAll(async () => {
  await sys?.stop();
});

const pdfText = (payload: Record<string, unknown>) => ({ type: 'file.pdf-text', payload });

describe('file.pdf-text through the API', () => {
  it('extracts the text of a 200-page PDF page by page, with progress on SSE', async () => {
    const uploadId = await sys.upload(
      alice,
      'report.pdf',
      'application/pdf',
      await pdfDocument(200),
    );
    const watch = await sys.watch(alice);
    try {
      const job = await sys.submit(alice, pdfText({ source: { uploadId } }));
      await watch.until(
        (e) =>
          e.event === 'lifecycle' && e.data['jobId'] === job.id && e.data['status'] === 'succeeded',
      );
      const done = await sys.until(alice, job.id, ['succeeded']);
      expect(done.result).toMatchObject({
        pageCount: 200,
        firstPage: 1,
        lastPage: 200,
        emptyPages: 0,
        format: 'text',
        filename: 'report.txt',
        contentType: 'text/plain; charset=utf-8',
      });
      const text = (await sys.artifact(done.result!['artifactId'] as string)).toString('utf8');
      const pages = text.split('\f');
      expect(pages).toHaveLength(200);
      pages.forEach((p, i) => expect(p).toBe(pageText(i + 1).join('\n') + '\n'));
      expect(done.result!['characters']).toBe(text.length - 199);
      expect(done.result!['bytes']).toBe(Buffer.byteLength(text));

      const progress = watch.events
        .filter((e) => e.event === 'progress' && e.data['jobId'] === job.id)
        .map((e) => e.data['progress'] as { percent: number; message: string });
      // n.b. progress is written at most every 500 ms: how many events a 200-page run shows
      // depends on the machine's speed; the first comes at once, the last is in the outcome
      expect(progress.length).toBeGreaterThanOrEqual(1);
      const percents = progress.map((p) => p.percent);
      expect(percents).toEqual([...percents].sort((a, b) => a - b));
      expect(progress[0]).toEqual({ percent: 0, message: '0/200 pages' });
      for (const p of progress) expect(p.message).toBe(`${(p.percent / 100) * 200}/200 pages`);
      expect(done.progress?.percent).toBe(100);
    } finally {
      watch.close();
    }
  });

  it('writes JSON with page numbers for a range of pages', async () => {
    const uploadId = await sys.upload(alice, 'r.pdf', 'application/pdf', await pdfDocument(30));
    const job = await sys.submit(
      alice,
      pdfText({ source: { uploadId }, format: 'json', pages: { first: 11, last: 13 } }),
    );
    const done = await sys.until(alice, job.id, ['succeeded', 'failed']);
    expect(done.result).toMatchObject({
      pageCount: 30,
      firstPage: 11,
      lastPage: 13,
      format: 'json',
    });
    const res = await sys.call(`/v1/jobs/${job.id}/result`, alice);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(await res.json()).toEqual({
      pageCount: 30,
      pages: [11, 12, 13].map((page) => ({ page, text: pageText(page).join('\n') + '\n' })),
    });
  });

  it('fails at once, not retried, on too many pages, a truncated PDF and a JPEG', async () => {
    const big = await sys.upload(alice, 'big.pdf', 'application/pdf', await pdfDocument(260));
    const cut = await sys.upload(
      alice,
      'cut.pdf',
      'application/pdf',
      truncated(await pdfDocument(20), 0.6),
    );
    const jpeg = await sys.upload(alice, 'scan.pdf', 'application/pdf', await photo(100, 100));
    const jobs = await Promise.all(
      [big, cut, jpeg].map((uploadId) => sys.submit(alice, pdfText({ source: { uploadId } }))),
    );
    const done = await Promise.all(
      jobs.map((j) => sys.until(alice, j.id, ['failed', 'succeeded', 'scheduled'])),
    );
    expect(done.map((d) => [d.status, d.attempts, d.error?.code, d.error?.retryable])).toEqual([
      ['failed', 1, 'PDF_TOO_MANY_PAGES', false],
      ['failed', 1, 'PDF_CORRUPT', false],
      ['failed', 1, 'NOT_A_PDF', false],
    ]);
    expect(done[0]!.error?.message).toBe(
      '260 pages asked for (1–260 of 260); one job extracts at most 250: split it with pages.first / pages.last',
    );
  });
});
