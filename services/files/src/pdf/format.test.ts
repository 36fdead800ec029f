import { describe, expect, it } from '@jest/globals';
import { formatPages, type TextTotals } from './format.js';
import type { PageText } from './extract.js';

async function* pages(...texts: string[]): AsyncGenerator<PageText> {
  for (const [i, text] of texts.entries()) yield { page: i + 3, text };
}

async function run(format: 'text' | 'json', ...texts: string[]) {
  const totals: TextTotals = { characters: 0, emptyPages: 0, pages: 0 };
  let out = '';
  for await (const chunk of formatPages(format, 10, pages(...texts), totals)) out += chunk;
  return { out, totals };
}

describe('formatPages', () => {
  it('separates pages with a form feed in text', async () => {
    const { out, totals } = await run('text', 'a\n', '', 'b "c"\n');
    expect(out).toBe('a\n\f\fb "c"\n');
    expect(totals).toEqual({ characters: 8, emptyPages: 1, pages: 3 });
  });

  it('writes JSON with page numbers that parses back', async () => {
    const { out } = await run('json', 'a\n', 'b "c"\u2028\n');
    expect(JSON.parse(out)).toEqual({
      pageCount: 10,
      pages: [
        { page: 3, text: 'a\n' },
        { page: 4, text: 'b "c"\u2028\n' },
      ],
    });
  });

  it('writes valid JSON for no pages', async () => {
    expect(JSON.parse((await run('json')).out)).toEqual({ pageCount: 10, pages: [] });
  });
});
