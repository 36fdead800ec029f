import type { Context, Middleware } from 'koa';
import { loadBundle, type BundleFile } from './bundle.js';

/**
 * The dashboard's Content-Security-Policy: its own scripts, styles and API only — no inline
 * script or style, no frames, no other origins.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Hashed assets never change under their name. */
export const IMMUTABLE = 'public, max-age=31536000, immutable';

function send(ctx: Context, file: BundleFile, cacheControl: string): void {
  ctx.set('Content-Security-Policy', DASHBOARD_CSP);
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.set('Referrer-Policy', 'no-referrer');
  ctx.set('Cache-Control', cacheControl);
  ctx.set('ETag', file.etag);
  ctx.vary('Accept-Encoding');
  if (ctx.get('if-none-match') === file.etag) {
    ctx.status = 304;
    return;
  }
  ctx.type = file.type;
  if (file.gzip && ctx.acceptsEncodings('gzip', 'identity') === 'gzip') {
    ctx.set('Content-Encoding', 'gzip');
    ctx.body = file.gzip;
  } else ctx.body = file.body;
}

/**
 * Serves the dashboard at `/ui/`. `/ui/assets/*` are content-hashed and cached for a year
 * (immutable); every other path under `/ui/` answers `index.html` with `no-cache` (the app
 * routes in the browser), revalidated by ETag. The bundle is read from `dir` once; until it is
 * built, `/ui` answers 503 saying so.
 */
export function dashboardMiddleware(dir: string): Middleware {
  let bundle = loadBundle(dir);
  return async (ctx, next) => {
    if ((ctx.method !== 'GET' && ctx.method !== 'HEAD') || !/^\/ui(\/|$)/.test(ctx.path))
      return next();
    if (ctx.path === '/ui') return ctx.redirect('/ui/');
    bundle ??= loadBundle(dir);
    if (!bundle) {
      ctx.status = 503;
      ctx.type = 'text/plain';
      ctx.body = `The dashboard is not built (no ${dir}/index.html): run \`pnpm build\`.\n`;
      return;
    }
    const path = ctx.path.slice('/ui/'.length);
    const file = bundle.get(path);
    if (path.startsWith('assets/')) {
      if (file) send(ctx, file, IMMUTABLE);
      return; // n.b. an unknown asset is a 404, never index.html
    }
    if (file && path !== 'index.html') return send(ctx, file, 'no-cache');
    send(ctx, bundle.get('index.html')!, 'no-cache');
  };
}
