import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { InputError } from '../input-error.js';
import { pageText, pdfDocument, truncated } from '../testing/fixtures.js';
import { openPdf, type PageText } from './extract.js';

let dir: string;
let n = 0;
async function fileOf(bytes: Buffer | string): Promise<string> {
  const path = join(dir, `f${++n}.pdf`);
  await writeFile(path, bytes);
  return path;
}

async function all(pages: AsyncIterable<PageText>): Promise<PageText[]> {
  const out: PageText[] = [];
  for await (const p of pages) out.push(p);
  return out;
}

async function failure(promise: Promise<unknown>): Promise<InputError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InputError);
  return err as InputError;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'conveyor-pdf-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('openPdf', () => {
  it('reads the text of every page of a PDF drawn by PDFKit, in order', async () => {
    const pdf = await openPdf(await fileOf(await pdfDocument(12)));
    try {
      expect(pdf.pageCount).toBe(12);
      const pages = await all(pdf.pages(1, 12));
      expect(pages.map((p) => p.page)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
      for (const p of pages) expect(p.text).toBe(pageText(p.page).join('\n') + '\n');
    } finally {
      await pdf.close();
    }
  });

  it('reads a range of pages only', async () => {
    const pdf = await openPdf(await fileOf(await pdfDocument(30)));
    const pages = await all(pdf.pages(28, 30));
    await pdf.close();
    expect(pages.map((p) => p.page)).toEqual([28, 29, 30]);
    expect(pages[0]!.text).toContain('Page 28 of the Conveyor test document');
  });

  it('stops between pages when its signal aborts', async () => {
    const pdf = await openPdf(await fileOf(await pdfDocument(5)));
    const ac = new AbortController();
    const seen: number[] = [];
    const reason = new Error('cancelled');
    const run = (async () => {
      for await (const p of pdf.pages(1, 5, ac.signal)) {
        seen.push(p.page);
        if (p.page === 2) ac.abort(reason);
      }
    })();
    await expect(run).rejects.toBe(reason);
    await pdf.close();
    expect(seen).toEqual([1, 2]);
  });

  it('refuses a file that is not a PDF', async () => {
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46]);
    const err = await failure(openPdf(await fileOf(jpeg)));
    expect(err.code).toBe('NOT_A_PDF');
  });

  it('fails a PDF that needs a password', async () => {
    const err = await failure(
      openPdf(await fileOf(await pdfDocument(2, { userPassword: 's3cret' }))),
    );
    expect(err.code).toBe('PDF_ENCRYPTED');
  });

  it('fails a PDF whose structure is garbage as corrupt', async () => {
    const err = await failure(
      openPdf(await fileOf('%PDF-1.7\n' + 'garbage '.repeat(2000) + '\n%%EOF\n')),
    );
    expect(err.code).toBe('PDF_CORRUPT');
    expect(err.message).toMatch(/^the PDF cannot be read: /);
  });

  it('fails a truncated PDF as corrupt', async () => {
    // n.b. PDFKit writes the page tree last: a cut-off file has none for pdf.js to rebuild
    const err = await failure(openPdf(await fileOf(truncated(await pdfDocument(20), 0.6))));
    expect(err.code).toBe('PDF_CORRUPT');
  });
});
