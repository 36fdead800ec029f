import { open } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as PdfJsModule from 'pdfjs-dist/legacy/build/pdf.mjs';
import { InputError } from '../input-error.js';

// n.b. the legacy build is the one made for Node; the modern one expects browser globals.
// Loaded on first use: the worker starts without pdf.js until a PDF job comes.
type PdfJs = typeof PdfJsModule;
type PdfDocumentProxy = Awaited<ReturnType<PdfJs['getDocument']>['promise']>;

let pdfjs: Promise<PdfJs> | null = null;
const loadPdfJs = () => (pdfjs ??= import('pdfjs-dist/legacy/build/pdf.mjs'));

/** pdf.js's data files (fonts it must not fetch, CMaps of CJK text), read from the package. */
const PACKAGE_DIR = dirname(createRequire(import.meta.url).resolve('pdfjs-dist/package.json'));

/** One page's text. */
export interface PageText {
  /** 1-based page number. */
  readonly page: number;
  /** The page's text, lines ended by `\n`, in content order. */
  readonly text: string;
}

/** An open PDF whose pages can be read one at a time. */
export interface PdfTextSource {
  readonly pageCount: number;
  /**
   * The text of pages `first`..`last` (1-based, inclusive), one page at a time: each page is
   * parsed, read and released before the next, so parsed objects of one page are held, not
   * the document's (pdf.js keeps the file bytes it has read until `close()`).
   */
  pages(first: number, last: number, signal?: AbortSignal): AsyncGenerator<PageText>;
  /** Releases the document; safe to call more than once. */
  close(): Promise<void>;
}

/** True when the first KiB of the file holds the `%PDF-` header (the spec allows leading bytes). */
async function looksLikePdf(path: string): Promise<boolean> {
  const file = await open(path, 'r');
  try {
    const head = Buffer.alloc(1024);
    const { bytesRead } = await file.read(head, 0, head.length, 0);
    return head.subarray(0, bytesRead).includes('%PDF-');
  } finally {
    await file.close();
  }
}

/** pdf.js's exceptions in terms of the input; anything else is returned as it was. */
export function classifyPdfError(err: unknown): unknown {
  if (!(err instanceof Error) || err instanceof InputError) return err;
  switch (err.name) {
    case 'PasswordException':
      return new InputError('PDF_ENCRYPTED', 'the PDF is protected by a password', { cause: err });
    case 'InvalidPDFException':
    case 'FormatError':
    case 'UnknownErrorException':
      return new InputError('PDF_CORRUPT', `the PDF cannot be read: ${err.message}`, {
        cause: err,
      });
    default:
      return err;
  }
}

/**
 * Opens the PDF at `path` with pdf.js (its Node build, on this thread, no system fonts, no
 * network). pdf.js reads the file by ranges as it needs them rather than whole up front.
 * Rejects with an {@link InputError} when the file is not a PDF (`NOT_A_PDF`), is damaged
 * (`PDF_CORRUPT`) or needs a password (`PDF_ENCRYPTED`).
 */
export async function openPdf(path: string): Promise<PdfTextSource> {
  if (!(await looksLikePdf(path)))
    throw new InputError('NOT_A_PDF', 'the file is not a PDF (no %PDF- header)');
  const { getDocument } = await loadPdfJs();
  const task = getDocument({
    url: pathToFileURL(path).href,
    disableAutoFetch: true,
    disableStream: true,
    useSystemFonts: false,
    disableFontFace: true,
    standardFontDataUrl: join(PACKAGE_DIR, 'standard_fonts') + '/',
    cMapUrl: join(PACKAGE_DIR, 'cmaps') + '/',
    cMapPacked: true,
    wasmUrl: join(PACKAGE_DIR, 'wasm') + '/',
    // n.b. errors only: a malformed-but-readable file would otherwise log per object
    verbosity: 0,
  });
  let doc: PdfDocumentProxy;
  try {
    doc = await task.promise;
  } catch (err) {
    await task.destroy().catch(() => undefined);
    throw classifyPdfError(err);
  }
  let closing: Promise<void> | null = null;
  return {
    pageCount: doc.numPages,
    async *pages(first, last, signal) {
      for (let n = first; n <= last; n++) {
        signal?.throwIfAborted();
        let text: string;
        try {
          const page = await doc.getPage(n);
          const content = await page.getTextContent();
          text = content.items
            .map((item) => ('str' in item ? item.str + (item.hasEOL ? '\n' : '') : ''))
            .join('');
          page.cleanup();
        } catch (err) {
          throw classifyPdfError(err);
        }
        if (text !== '' && !text.endsWith('\n')) text += '\n';
        yield { page: n, text };
      }
    },
    close: () => (closing ??= task.destroy()),
  };
}
