import type { Middleware } from 'koa';
import { SpanKind, startSpan, type ActiveSpan } from '@conveyor/platform';

/** What the tracing middleware leaves on `ctx.state`. */
export interface TraceState {
  /** The request's server span: jobs created by the request are its children. */
  trace?: ActiveSpan;
}

/**
 * One server span per request, a child of the caller's W3C `traceparent` header when it
 * sends a valid one (a new trace otherwise), named after the matched route pattern. The
 * response carries the span's context in `traceresponse`, so a caller learns the trace id.
 */
export function httpTracingMiddleware(): Middleware<TraceState> {
  return async (ctx, next) => {
    const span = startSpan(ctx.method, {
      parent: ctx.get('traceparent') || null,
      kind: SpanKind.SERVER,
      attributes: { 'http.request.method': ctx.method },
    });
    ctx.state.trace = span;
    ctx.set('traceresponse', span.traceparent);
    let error: unknown = null;
    try {
      await next();
    } catch (err) {
      error = err;
      throw err;
    } finally {
      const matched = (ctx as { _matchedRoute?: string | RegExp })._matchedRoute;
      const route = typeof matched === 'string' ? matched : 'unmatched';
      span.span.updateName(`${ctx.method} ${route}`);
      span.span.setAttributes({ 'http.route': route, 'http.response.status_code': ctx.status });
      span.end(error ?? (ctx.status >= 500 ? `HTTP ${ctx.status}` : null));
    }
  };
}
