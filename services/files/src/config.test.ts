import { describe, expect, it } from '@jest/globals';
import { filesConfig, FilesConfigError } from './config.js';

describe('filesConfig', () => {
  it('has defaults for everything', () => {
    expect(filesConfig({})).toEqual({
      CONCURRENCY: 2,
      IMAGE_MAX_PIXELS: 100_000_000,
      IMAGE_MAX_BYTES: 50 * 1024 * 1024,
      PDF_MAX_BYTES: 100 * 1024 * 1024,
      PDF_MAX_PAGES: 2000,
    });
  });

  it('reads the variables given, empty ones as unset', () => {
    const c = filesConfig({ IMAGE_MAX_PIXELS: '24000000', PDF_MAX_PAGES: ' 50 ', CONCURRENCY: '' });
    expect([c.IMAGE_MAX_PIXELS, c.PDF_MAX_PAGES, c.CONCURRENCY]).toEqual([24_000_000, 50, 2]);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('names every wrong variable', () => {
    expect(() => filesConfig({ PDF_MAX_PAGES: '0', IMAGE_MAX_BYTES: '1e6' })).toThrow(
      FilesConfigError,
    );
    expect(() => filesConfig({ PDF_MAX_PAGES: '0', IMAGE_MAX_BYTES: '1e6' })).toThrow(
      /IMAGE_MAX_BYTES must be a whole number.*PDF_MAX_PAGES/,
    );
  });
});
