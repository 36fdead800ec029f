import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
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

describe('the files worker at start', () => {
  const main = fileURLToPath(new URL('./main.js', import.meta.url));

  it('exits 1 naming a wrong variable of its own, before connecting to anything', () => {
    const run = spawnSync(process.execPath, [main], {
      env: { ...process.env, PDF_MAX_PAGES: '0' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^invalid configuration: PDF_MAX_PAGES /);
  });

  it('exits 1 naming a missing connection variable, without a stack trace', () => {
    const env = { ...process.env };
    delete env['RABBITMQ_URL'];
    const run = spawnSync(process.execPath, [main], { env, encoding: 'utf8', timeout: 30_000 });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('RABBITMQ_URL');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
