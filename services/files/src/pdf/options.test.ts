import { describe, expect, it } from '@jest/globals';
import { filePdfTextPayloadSchema, pageRange } from './options.js';

const source = { uploadId: '0123456789abcdef01234567' };

describe('file.pdf-text payload', () => {
  it('defaults to text of every page', () => {
    expect(filePdfTextPayloadSchema.parse({ source })).toEqual({ source, format: 'text' });
    expect(filePdfTextPayloadSchema.parse({ source, pages: { last: 3 } }).pages).toEqual({
      first: 1,
      last: 3,
    });
  });

  it.each([
    [{ source, format: 'html' }, 'format'],
    [{ source, pages: { first: 0 } }, 'pages.first'],
    [{ source, pages: { first: 5, last: 4 } }, 'pages.last'],
    [{ source: { path: '/etc/passwd' } }, 'source'],
  ])('refuses %j at %s', (payload, path) => {
    const res = filePdfTextPayloadSchema.safeParse(payload);
    expect(res.success).toBe(false);
    expect(res.error!.issues.map((i) => i.path.join('.'))).toContain(path);
  });
});

describe('pageRange', () => {
  it('clamps the end to the document and checks the limit', () => {
    expect(pageRange(undefined, 200, 500)).toEqual({ first: 1, last: 200 });
    expect(pageRange({ first: 150, last: 900 }, 200, 500)).toEqual({ first: 150, last: 200 });
    expect(pageRange(undefined, 200, 100)).toMatchObject({ error: 'PDF_TOO_MANY_PAGES' });
    expect(pageRange({ first: 101, last: 200 }, 200, 100)).toEqual({ first: 101, last: 200 });
    expect(pageRange({ first: 201 }, 200, 500)).toMatchObject({
      error: 'PDF_PAGE_RANGE',
      message: 'pages.first is 201 but the document has 200 pages',
    });
  });
});
