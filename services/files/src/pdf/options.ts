import { z } from 'zod';
import { fileSourceSchema } from '../source.js';

/** Output formats of `file.pdf-text` (contract). */
export const PDF_TEXT_FORMATS = ['text', 'json'] as const;
export type PdfTextFormat = (typeof PDF_TEXT_FORMATS)[number];

/** Content type and file extension of each output format. */
export const PDF_TEXT_FILES: Readonly<
  Record<PdfTextFormat, { contentType: string; extension: string }>
> = Object.freeze({
  text: { contentType: 'text/plain; charset=utf-8', extension: 'txt' },
  json: { contentType: 'application/json', extension: 'json' },
});

/** `file.pdf-text` payload (contract). */
export const filePdfTextPayloadSchema = z.strictObject({
  source: fileSourceSchema,
  /**
   * `text`: each page's text, pages separated by a form feed (`\f`), as pdftotext does;
   * `json`: `{"pageCount": n, "pages": [{"page": 1, "text": "…"}, …]}`. @default 'text'
   */
  format: z.enum(PDF_TEXT_FORMATS).default('text'),
  /**
   * Which pages, 1-based and inclusive; `last` past the end means the last page.
   * @default every page
   */
  pages: z
    .strictObject({
      first: z.int().min(1).default(1),
      last: z.int().min(1).optional(),
    })
    .refine((p) => p.last === undefined || p.last >= p.first, {
      message: 'last must not be before first',
      path: ['last'],
    })
    .optional(),
});
export type FilePdfTextPayload = z.infer<typeof filePdfTextPayloadSchema>;

/** `file.pdf-text` result (contract). */
export const filePdfTextResultSchema = z.object({
  /** Pages in the document. */
  pageCount: z.int(),
  /** The pages extracted, inclusive. */
  firstPage: z.int(),
  lastPage: z.int(),
  /** Characters of text extracted, over all pages. */
  characters: z.int(),
  /** Extracted pages that had no text at all (scanned pages need OCR, which this does not do). */
  emptyPages: z.int(),
  format: z.enum(PDF_TEXT_FORMATS),
  /** The text artifact (`GET /v1/artifacts/:id`, or `GET /v1/jobs/:id/result`). */
  artifactId: z.string(),
  filename: z.string(),
  contentType: z.string(),
  bytes: z.int(),
});
export type FilePdfTextResult = z.infer<typeof filePdfTextResultSchema>;

/**
 * The pages to extract from a document of `pageCount` pages, or why not: the range must start
 * inside the document and hold at most `maxPages` pages.
 */
export function pageRange(
  pages: FilePdfTextPayload['pages'],
  pageCount: number,
  maxPages: number,
):
  | { first: number; last: number }
  | { error: 'PDF_PAGE_RANGE' | 'PDF_TOO_MANY_PAGES'; message: string } {
  const first = pages?.first ?? 1;
  const last = Math.min(pages?.last ?? pageCount, pageCount);
  if (first > pageCount)
    return {
      error: 'PDF_PAGE_RANGE',
      message: `pages.first is ${first} but the document has ${pageCount} page${pageCount === 1 ? '' : 's'}`,
    };
  const count = last - first + 1;
  if (count > maxPages)
    return {
      error: 'PDF_TOO_MANY_PAGES',
      message: `${count} pages asked for (${first}–${last} of ${pageCount}); one job extracts at most ${maxPages}: split it with pages.first / pages.last`,
    };
  return { first, last };
}
