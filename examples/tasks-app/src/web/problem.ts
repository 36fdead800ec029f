import type { Context } from 'koa';
import type { z } from 'zod';

/** An error answer as an RFC 9457 problem document, with field errors for a 400. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly errors?: { field: string; message: string }[],
  ) {
    super(title);
  }
}

/** Parses `value` with `schema`, or throws a 400 naming each wrong field. */
export function parseOr400<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new HttpProblem(
    400,
    'Invalid request',
    parsed.error.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message })),
  );
}

const MAX_BODY = 64 * 1024;

/** The request's JSON body (415 unless sent as JSON, 413 past 64 KiB, 400 when malformed). */
export async function jsonBody(ctx: Context): Promise<unknown> {
  if (!ctx.is('application/json')) throw new HttpProblem(415, 'Send the body as application/json');
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new HttpProblem(413, 'The body is larger than 64 KiB');
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new HttpProblem(400, 'The body is not valid JSON');
  }
}

/** Renders a thrown HttpProblem; anything else is a 500 that reveals nothing. */
export async function problems(ctx: Context, next: () => Promise<unknown>): Promise<void> {
  try {
    await next();
  } catch (err) {
    const p = err instanceof HttpProblem ? err : new HttpProblem(500, 'Internal error');
    if (!(err instanceof HttpProblem)) ctx.app.emit('error', err, ctx);
    ctx.status = p.status;
    ctx.type = 'application/problem+json';
    ctx.body = {
      type: 'about:blank',
      title: p.title,
      status: p.status,
      ...(p.errors ? { errors: p.errors } : {}),
    };
  }
}
