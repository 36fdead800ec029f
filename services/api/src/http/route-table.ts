import type Koa from 'koa';
import type { Context, Middleware } from 'koa';
import { Router } from '@koa/router';
import { z } from 'zod';
import { parseOr400, ProblemError } from './problem.js';

/** A JSON Schema fragment of the OpenAPI document. */
export type JsonSchema = Record<string, unknown>;

/** One documented response: a zod schema (rendered as its output JSON Schema) or a JSON Schema. */
export interface ResponseSpec {
  description: string;
  schema?: z.ZodType | JsonSchema;
  /** Default `application/json` when `schema` is set. */
  contentType?: string;
}

/** What the route reads from the body. JSON bodies are validated by the table unless `validate: false`. */
export interface BodySpec<B> {
  schema: z.ZodType<B> | JsonSchema;
  /** Whether a body must be sent; an optional JSON body defaults to `{}`. */
  required: boolean;
  /** `application/json` (default) or `multipart/form-data` (read by the route's own middleware). */
  contentType?: 'application/json' | 'multipart/form-data';
  /** Set false when the handler validates itself (field paths the schema can't express). */
  validate?: boolean;
  /** What the document shows instead of `schema` (e.g. items by reference). */
  doc?: JsonSchema;
}

/** The validated inputs a handler receives. */
export interface RouteInput<Q, B> {
  query: Q;
  body: B;
}

/**
 * One HTTP operation: everything Koa needs to serve it and everything the OpenAPI document
 * says of it. A route cannot exist without its documentation, since both come from here.
 */
export interface RouteSpec<Q = unknown, B = unknown> {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** OpenAPI form, e.g. `/v1/jobs/{id}`. */
  path: string;
  summary: string;
  description?: string;
  tag: string;
  /** `token`: a bearer JWT is required (401 otherwise); `none`: open. */
  auth: 'none' | 'token';
  /** Only admins (403 for others). Enforced by the handler; documented from here. */
  adminOnly?: boolean;
  /** Path parameters: name -> regular expression (documentation; a mismatch is a 404). */
  params?: Record<string, string>;
  query?: z.ZodType<Q>;
  body?: BodySpec<B>;
  /** Draws from the per-owner submission limit (429 with Retry-After). */
  limited?: boolean;
  /** Documented responses by status; common error answers are added from the flags above. */
  responses: Record<number, ResponseSpec>;
  /** Middleware that runs after authentication, before the input checks (e.g. a multipart parser). */
  before?: Middleware[];
  handler: (ctx: Context, input: RouteInput<Q, B>) => Promise<void> | void;
}

/** A route of any input types, as route tables hold them. */
export type AnyRoute = RouteSpec<never, never>;

/** Declares a route with its input types inferred from its schemas. */
export function route<Q = Record<string, unknown>, B = undefined>(spec: RouteSpec<Q, B>): AnyRoute {
  return spec as unknown as AnyRoute;
}

const koaPath = (path: string) => path.replace(/\{([^}]+)\}/g, ':$1');

/**
 * Orders routes so that a literal segment wins over a parameter in the same place
 * (`/v1/jobs/search` before `/v1/jobs/{id}`), whatever order the tables were written in.
 */
function specificity(a: AnyRoute, b: AnyRoute): number {
  const sa = a.path.split('/');
  const sb = b.path.split('/');
  for (let i = 0; i < Math.min(sa.length, sb.length); i++) {
    const pa = sa[i]!.startsWith('{');
    const pb = sb[i]!.startsWith('{');
    if (pa !== pb) return pa ? 1 : -1;
  }
  return 0;
}

const unsupportedMediaType = () =>
  new ProblemError(
    415,
    'Unsupported Media Type',
    'the request body must be JSON, sent with Content-Type: application/json',
  );

/** The JSON body of a request, checked against the route's body spec. */
function jsonBody(ctx: Context, spec: BodySpec<unknown>): unknown {
  const sent = Number(ctx.get('content-length') || 0) > 0 || ctx.get('transfer-encoding') !== '';
  if (!sent && !spec.required) return parse(spec, {});
  if (!ctx.is('application/json')) throw unsupportedMediaType();
  return parse(spec, ctx.request.body);
}

function parse(spec: BodySpec<unknown>, value: unknown): unknown {
  if (spec.validate === false || !(spec.schema instanceof z.ZodType)) return value;
  return parseOr400(spec.schema, value);
}

/**
 * Registers every route of the tables on `app`, behind `authenticate` where a token is
 * required. Unknown methods on a known path answer 405 with `Allow`, unknown methods at all
 * 501, both as problem documents.
 */
export function mountRoutes(app: Koa, routes: AnyRoute[], authenticate: Middleware): void {
  const router = new Router();
  const sorted = [...routes].sort(specificity);
  const patterns = [...new Set(sorted.map((r) => r.path))].map((path) => ({
    path,
    regex: new RegExp(`^${path.replace(/\{[^}]+\}/g, '[^/]+')}/?$`),
    methods: sorted.filter((r) => r.path === path).map((r) => r.method.toUpperCase()),
  }));
  /** The one pattern a path belongs to: a literal segment wins over a parameter. */
  const patternOf = (path: string) => patterns.find((p) => p.regex.test(path));
  const allowOf = (path: string) => {
    const methods = patternOf(path)?.methods ?? [];
    return methods.includes('GET') ? ['HEAD', ...methods] : methods;
  };
  for (const r of sorted) {
    const chain: Middleware[] = [
      // n.b. Koa matches /v1/jobs/search against /v1/jobs/{id} too: only the path's own pattern serves it
      (ctx, next) => (patternOf(ctx.path)?.path === r.path ? next() : undefined),
    ];
    if (r.auth === 'token') chain.push(authenticate);
    chain.push(...(r.before ?? []));
    chain.push(async (ctx) => {
      const spec = r as unknown as RouteSpec<unknown, unknown>;
      const query = spec.query ? parseOr400(spec.query, ctx.query, '', 'Invalid query') : ctx.query;
      let body: unknown = undefined;
      if (spec.body && spec.body.contentType !== 'multipart/form-data')
        body = jsonBody(ctx, spec.body);
      await spec.handler(ctx, { query, body });
    });
    router.register(koaPath(r.path), [r.method.toUpperCase()], chain);
  }
  // n.b. the methods of a path come from its own pattern; any other method on it is a 405 with
  // Allow, as a problem document — also one Koa does not know (TRACE), and OPTIONS lists them
  app.use(async (ctx, next) => {
    await next();
    const allowed = allowOf(ctx.path);
    if (ctx.method === 'OPTIONS' && allowed.length > 0) {
      ctx.status = 204;
      ctx.set('Allow', allowed.join(', '));
      return;
    }
    if ([404, 405, 501].includes(ctx.status) && ctx.body == null) {
      if (ctx.status === 404 && (allowed.length === 0 || allowed.includes(ctx.method))) return;
      const allow = allowed.join(', ');
      throw allow !== ''
        ? new ProblemError(
            405,
            'Method Not Allowed',
            `${ctx.method} is not supported here; allowed: ${allow}`,
            undefined,
            { Allow: allow },
          )
        : new ProblemError(501, 'Not Implemented', `the server does not implement ${ctx.method}`);
    }
  });
  app.use(router.routes());
  app.use(router.allowedMethods());
}

// ---- OpenAPI ---------------------------------------------------------------------------------

/** JSON Schema of a zod schema, as OpenAPI 3.1 embeds it. */
export function jsonSchemaOf(schema: z.ZodType | JsonSchema, io: 'input' | 'output'): JsonSchema {
  if (!(schema instanceof z.ZodType)) return schema;
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, {
    io,
    unrepresentable: 'any',
  }) as JsonSchema;
  return rest;
}

export const schemaRef = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });

const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: schemaRef('Problem') } },
});

function response(spec: ResponseSpec): JsonSchema {
  if (spec.schema === undefined && spec.contentType === undefined)
    return { description: spec.description };
  const type = spec.contentType ?? 'application/json';
  const schema = spec.schema === undefined ? {} : jsonSchemaOf(spec.schema, 'output');
  const media = type.includes('problem')
    ? problemResponse(spec.description).content
    : { [type]: { schema } };
  return { description: spec.description, content: media };
}

function queryParameters(schema: z.ZodType): JsonSchema[] {
  const json = jsonSchemaOf(schema, 'input') as {
    properties?: Record<string, JsonSchema>;
    required?: string[];
  };
  return Object.entries(json.properties ?? {}).map(([name, s]) => {
    const { description, ...rest } = s as { description?: string };
    return {
      name,
      in: 'query',
      required: json.required?.includes(name) ?? false,
      schema: rest,
      ...(description ? { description } : {}),
    };
  });
}

/** The operation object of one route, with the error answers its flags imply. */
function operation(r: AnyRoute): JsonSchema {
  const responses: Record<string, JsonSchema> = {};
  for (const [status, spec] of Object.entries(r.responses)) responses[status] = response(spec);
  const add = (status: number, description: string) => {
    responses[String(status)] ??= problemResponse(description);
  };
  if (r.query || (r.body && r.body.contentType !== 'multipart/form-data'))
    add(400, 'Invalid request: `errors` names each wrong field');
  if (r.body) {
    add(413, 'Body too large');
    add(415, 'Body not sent as ' + (r.body.contentType ?? 'application/json'));
  }
  if (r.auth === 'token') add(401, 'Missing, invalid or expired bearer token');
  if (r.adminOnly) add(403, 'Not an admin');
  if (r.params) add(404, 'Not found (or not yours)');
  if (r.limited) add(429, 'Submission rate limit reached; see Retry-After');
  if (r.auth === 'token') add(503, 'The store or the broker is unavailable; see Retry-After');
  const parameters = [
    ...Object.entries(r.params ?? {}).map(([name, pattern]) => ({
      name,
      in: 'path',
      required: true,
      schema: { type: 'string', pattern },
    })),
    ...(r.query ? queryParameters(r.query) : []),
  ];
  const body = r.body
    ? {
        requestBody: {
          required: r.body.required,
          content: {
            [r.body.contentType ?? 'application/json']: {
              schema: r.body.doc ?? jsonSchemaOf(r.body.schema, 'input'),
            },
          },
        },
      }
    : {};
  const operationId = `${r.method}${r.path.replace(/[{}]/g, '').replace(/[/-](\w)/g, (_m, c: string) => c.toUpperCase())}`;
  return {
    operationId,
    summary: r.summary,
    ...(r.description ? { description: r.description } : {}),
    tags: [r.tag],
    security: r.auth === 'token' ? [{ bearer: [] }] : [],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...body,
    responses,
  };
}

/** The OpenAPI `paths` of the route tables. */
export function openApiPaths(routes: AnyRoute[]): Record<string, Record<string, JsonSchema>> {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const r of routes) (paths[r.path] ??= {})[r.method] = operation(r);
  return paths;
}
