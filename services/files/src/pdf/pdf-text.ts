import { Readable } from 'node:stream';
import { PermanentJobError } from '@conveyor/sdk';
import { handle } from '@conveyor/sdk/worker';
import { formatBytes, InputError } from '../input-error.js';
import { asJobError } from '../job-error.js';
import { filePdfText } from '../job-types.js';
import { baseName } from '../source.js';
import { spoolToDisk } from '../spool.js';
import { openPdf, type PageText } from './extract.js';
import { formatPages, type TextTotals } from './format.js';
import { PDF_TEXT_FILES, pageRange, type FilePdfTextResult } from './options.js';

/** Limits of the `file.pdf-text` handler. */
export interface PdfLimits {
  /** Most bytes of an input PDF. */
  readonly maxBytes: number;
  /** Most pages one job extracts. */
  readonly maxPages: number;
}

async function* utf8(chunks: AsyncIterable<string>): AsyncGenerator<Buffer> {
  for await (const c of chunks) yield Buffer.from(c, 'utf8');
}

/**
 * The `file.pdf-text` handler: copies the PDF to a private temporary file (pdf.js reads by
 * ranges), then extracts the asked pages one at a time straight into the output artifact,
 * reporting progress per page. The temporary file is deleted however the job ends.
 */
export function pdfTextHandler(limits: PdfLimits) {
  return handle(filePdfText, async (payload, ctx): Promise<FilePdfTextResult> => {
    const file = await ctx.files.open(payload.source);
    if (file.length > limits.maxBytes) {
      file.stream.destroy();
      throw new PermanentJobError(
        `the PDF is ${formatBytes(file.length)}, larger than ${formatBytes(limits.maxBytes)} (the limit for PDFs)`,
        'FILE_TOO_LARGE',
      );
    }
    try {
      const spooled = await spoolToDisk(file.stream, {
        maxBytes: limits.maxBytes,
        what: 'PDF',
        name: 'input.pdf',
        signal: ctx.signal,
      });
      try {
        const pdf = await openPdf(spooled.path);
        try {
          const range = pageRange(payload.pages, pdf.pageCount, limits.maxPages);
          if ('error' in range) throw new InputError(range.error, range.message);
          const { first, last } = range;
          const total = last - first + 1;
          ctx.log.info({ pageCount: pdf.pageCount, first, last }, 'PDF opened');
          ctx.progress(0, `0/${total} pages`);
          let read = 0;
          async function* reported(): AsyncGenerator<PageText> {
            for await (const page of pdf.pages(first, last, ctx.signal)) {
              yield page;
              read++;
              ctx.progress((read / total) * 100, `${read}/${total} pages`);
            }
          }
          const totals: TextTotals = { characters: 0, emptyPages: 0, pages: 0 };
          const out = PDF_TEXT_FILES[payload.format];
          const filename = `${baseName(file.filename)}.${out.extension}`;
          const body = Readable.from(
            utf8(formatPages(payload.format, pdf.pageCount, reported(), totals)),
            { objectMode: false },
          );
          const stored = await ctx.files.write({ filename, contentType: out.contentType }, body);
          return {
            pageCount: pdf.pageCount,
            firstPage: first,
            lastPage: last,
            characters: totals.characters,
            emptyPages: totals.emptyPages,
            format: payload.format,
            artifactId: stored.artifactId,
            filename,
            contentType: out.contentType,
            bytes: stored.length,
          };
        } finally {
          await pdf.close();
        }
      } finally {
        await spooled.dispose();
      }
    } catch (err) {
      throw asJobError(err);
    }
  });
}
