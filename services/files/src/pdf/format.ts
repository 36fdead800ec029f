import type { PdfTextFormat } from './options.js';
import type { PageText } from './extract.js';

/** Totals of a formatted text, known once every page went through. */
export interface TextTotals {
  characters: number;
  emptyPages: number;
  pages: number;
}

/**
 * The pages as the chunks of one output file, page by page:
 * - `text`: each page's text, pages separated by a form feed (`\f`);
 * - `json`: `{"pageCount":n,"pages":[{"page":1,"text":"…"},…]}`.
 * `totals` is updated as pages pass.
 */
export async function* formatPages(
  format: PdfTextFormat,
  pageCount: number,
  pages: AsyncIterable<PageText>,
  totals: TextTotals,
): AsyncGenerator<string> {
  if (format === 'json') yield `{"pageCount":${pageCount},"pages":[`;
  let first = true;
  for await (const p of pages) {
    totals.pages++;
    totals.characters += p.text.length;
    if (p.text.trim() === '') totals.emptyPages++;
    if (format === 'json')
      yield `${first ? '' : ','}\n${JSON.stringify({ page: p.page, text: p.text })}`;
    else yield first ? p.text : `\f${p.text}`;
    first = false;
  }
  if (format === 'json') yield '\n]}\n';
}
