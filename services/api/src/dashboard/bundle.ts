import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join, relative, sep } from 'node:path';
import { gzipSync } from 'node:zlib';

/** One file of the built dashboard, held in memory. */
export interface BundleFile {
  body: Buffer;
  /** gzip of `body` when that is smaller (text files). */
  gzip: Buffer | null;
  type: string;
  etag: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

/** Where `@conveyor/dashboard` keeps its build (`services/dashboard/dist`). */
export function defaultBundleDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@conveyor/dashboard/package.json')), 'dist');
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

/**
 * The built dashboard read into memory (a few files, ~100 KiB): paths relative to `dir`
 * with `/` separators, e.g. `index.html`, `assets/index-3f2a1c.js`. Null when `dir` has no
 * `index.html` (the dashboard was not built).
 */
export function loadBundle(dir: string): Map<string, BundleFile> | null {
  if (!existsSync(join(dir, 'index.html'))) return null;
  const files = new Map<string, BundleFile>();
  for (const path of walk(dir)) {
    const body = readFileSync(path);
    const type = TYPES[extname(path)] ?? 'application/octet-stream';
    const zipped = /^(text|image\/svg|application\/json)/.test(type) ? gzipSync(body) : null;
    files.set(relative(dir, path).split(sep).join('/'), {
      body,
      gzip: zipped && zipped.length < body.length ? zipped : null,
      type,
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
    });
  }
  return files;
}
