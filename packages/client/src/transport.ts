import { apiError, ConveyorNetworkError } from './errors.js';

/** Where the bearer token comes from: a fixed token, or a function asked before every request. */
export type TokenSource = { token: string } | { getToken: () => string | Promise<string> };

/** How the transport is built (see {@link ConveyorClientOptions}). */
export interface TransportOptions {
  baseUrl: string;
  tokens: TokenSource;
  fetch: typeof fetch;
  timeoutMs: number;
}

/** One request. */
export interface RequestSpec {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Path below the base URL, e.g. `/v1/jobs`. */
  path: string;
  query?: Record<string, string | number | undefined>;
  /** Sent as JSON. */
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal | undefined;
  /** Overrides the client's timeout; 0 = none. */
  timeoutMs?: number | undefined;
}

/**
 * Sends requests to the API: the bearer token, JSON bodies, a timeout until the answer's
 * headers (and, for JSON, its body) have arrived, and typed errors for everything else.
 */
export class Transport {
  private readonly base: string;

  constructor(private readonly opts: TransportOptions) {
    this.base = opts.baseUrl.replace(/\/+$/, '');
  }

  /** The absolute URL of `path` with `query` (undefined values left out). */
  url(path: string, query: RequestSpec['query'] = {}): string {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
    const qs = params.toString();
    return `${this.base}${path}${qs ? `?${qs}` : ''}`;
  }

  /** Sends the request and parses the JSON answer (undefined for 204). */
  async json<T>(spec: RequestSpec): Promise<T> {
    return this.send(spec, async (res) => {
      if (res.status === 204) return undefined as T;
      const text = await res.text();
      return (text === '' ? undefined : JSON.parse(text)) as T;
    });
  }

  /**
   * Sends the request and resolves the `Response` once its headers are in (status 2xx,
   * errors thrown typed). The timeout covers the headers only: the body streams for as long
   * as it takes, until `spec.signal` aborts it.
   */
  async stream(spec: RequestSpec): Promise<Response> {
    return this.send(spec, async (res) => res, true);
  }

  private async send<T>(
    spec: RequestSpec,
    read: (res: Response) => Promise<T>,
    streaming = false,
  ): Promise<T> {
    const url = this.url(spec.path, spec.query);
    const request = { method: spec.method, url };
    const timeoutMs = spec.timeoutMs ?? this.opts.timeoutMs;
    const timer = new AbortController();
    const timeout =
      timeoutMs > 0
        ? setTimeout(
            () =>
              timer.abort(
                new ConveyorNetworkError(`no answer within ${timeoutMs} ms`, 'TIMEOUT', request),
              ),
            timeoutMs,
          )
        : undefined;
    const signal = spec.signal ? AbortSignal.any([spec.signal, timer.signal]) : timer.signal;
    const fail = (err: unknown): never => {
      if (spec.signal?.aborted) throw spec.signal.reason;
      if (timer.signal.aborted) throw timer.signal.reason;
      if (err instanceof ConveyorNetworkError) throw err;
      const why = causeText(err) ?? (isError(err) ? err.message : String(err));
      throw new ConveyorNetworkError(`${spec.method} ${url} failed: ${why}`, 'NETWORK', request, {
        cause: err,
      });
    };
    try {
      const headers = new Headers(spec.headers);
      headers.set('authorization', `Bearer ${await this.token()}`);
      if (!headers.has('accept'))
        headers.set('accept', 'application/json, application/problem+json');
      let body: string | undefined;
      if (spec.body !== undefined) {
        headers.set('content-type', 'application/json');
        body = JSON.stringify(spec.body);
      }
      let res: Response;
      try {
        res = await this.opts.fetch(url, { method: spec.method, headers, body, signal });
      } catch (err) {
        return fail(err);
      }
      if (!res.ok) {
        let text = '';
        try {
          text = await res.text();
        } catch (err) {
          return fail(err);
        }
        throw apiError(res.status, res.statusText, parseMaybe(text), res.headers, request);
      }
      if (streaming) {
        clearTimeout(timeout);
        return await read(res);
      }
      try {
        return await read(res);
      } catch (err) {
        if (err instanceof SyntaxError)
          throw new ConveyorNetworkError(
            `${spec.method} ${url}: the answer is not JSON`,
            'NETWORK',
            request,
            {
              cause: err,
            },
          );
        return fail(err);
      }
    } finally {
      clearTimeout(timeout);
    }
  }

  private async token(): Promise<string> {
    const t = this.opts.tokens;
    return 'token' in t ? t.token : await t.getToken();
  }
}

function parseMaybe(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

// n.b. duck-typed: errors from fetch may come from another realm (vm contexts, test runners)
const isError = (e: unknown): e is Error =>
  typeof e === 'object' && e !== null && typeof (e as Error).message === 'string';

/** undici wraps the socket error as `cause` of a "fetch failed" TypeError: say what it was. */
function causeText(err: unknown): string | undefined {
  if (!isError(err)) return undefined;
  const cause = (err as { cause?: unknown }).cause;
  if (!isError(cause)) return undefined;
  const code = (cause as { code?: unknown }).code;
  return `${err.message} (${typeof code === 'string' ? `${code}: ` : ''}${cause.message})`;
}
