import type { IncomingMessage, ServerResponse } from 'node:http';
import { InvalidFaultError, parseFaultRequest, type FaultInjector } from './faults.js';
import type { CatcherLogger } from './log.js';
import type { MessageStore } from './message-store.js';
import { renderIndexPage, renderWebhooksPage } from './page.js';
import { WEBHOOK_BODY_LIMIT, type WebhookStore } from './webhook-store.js';

const MAX_BODY_BYTES = 64 * 1024;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function send(
  res: ServerResponse,
  status: number,
  body: string | Buffer,
  contentType: string,
): void {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, JSON.stringify(value), 'application/json; charset=utf-8');
}

async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new HttpError(413, `body larger than ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const text = await readBody(req, MAX_BODY_BYTES);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpError(400, 'body must be valid JSON');
  }
}

/**
 * `?secret=` as given. n.b. a base64 secret holds `+`, which a query string reads as a space
 * when it was pasted unencoded; base64 has no spaces, so they are turned back.
 */
function secretParam(url: URL): string {
  return (url.searchParams.get('secret') ?? '').replace(/ /g, '+');
}

/**
 * The catcher's HTTP API (paths are a contract for tests):
 * - `GET /healthz`
 * - `GET /api/messages[?to=address]` oldest first; `to` keeps messages whose envelope
 *   recipients include the address (case-insensitive)
 * - `GET /api/messages/:id`, `GET /api/messages/:id/raw`, `DELETE /api/messages`
 * - `GET|POST|DELETE /api/faults` (see {@link parseFaultRequest} for the POST body)
 * - `POST /webhooks/<anything>` catches a webhook (answers 200 `{id}`), for trying
 *   `webhook.deliver` on a development machine
 * - `GET /api/webhooks[?secret=whsec_…]` oldest first, each with `verified` (see
 *   {@link WebhookStore.list}); `DELETE /api/webhooks`
 * - `GET /` an HTML listing of messages, `GET /webhooks[?secret=…]` one of webhooks
 */
export function createHttpHandler(
  store: MessageStore,
  faults: FaultInjector,
  log: CatcherLogger,
  webhooks: WebhookStore,
): (req: IncomingMessage, res: ServerResponse) => void {
  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://catcher.invalid');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const method = req.method ?? 'GET';
    const messageMatch = /^\/api\/messages\/([^/]+)(\/raw)?$/.exec(path);

    if (path === '/healthz' && method === 'GET') {
      return sendJson(res, 200, { status: 'ok', messages: store.size });
    }
    if (path === '/' && method === 'GET') {
      return send(res, 200, renderIndexPage(store.list()), 'text/html; charset=utf-8');
    }
    if (path.startsWith('/webhooks/') && method === 'POST') {
      const id = webhooks.add(path, req.headers, await readBody(req, WEBHOOK_BODY_LIMIT));
      log('webhook.caught', { id, path });
      return sendJson(res, 200, { id });
    }
    if (path === '/webhooks' && method === 'GET') {
      const secret = secretParam(url);
      return send(
        res,
        200,
        renderWebhooksPage(webhooks.list(secret || undefined), secret),
        'text/html; charset=utf-8',
      );
    }
    if (path === '/api/webhooks' && method === 'GET') {
      return sendJson(res, 200, webhooks.list(secretParam(url) || undefined));
    }
    if (path === '/api/webhooks' && method === 'DELETE') {
      webhooks.clear();
      log('webhooks.cleared');
      res.writeHead(204).end();
      return;
    }
    if (path === '/api/messages' && method === 'GET') {
      const to = url.searchParams.get('to')?.toLowerCase();
      const messages = store.list();
      return sendJson(
        res,
        200,
        to === undefined
          ? messages
          : messages.filter((m) => m.envelope.to.some((rcpt) => rcpt.toLowerCase() === to)),
      );
    }
    if (path === '/api/messages' && method === 'DELETE') {
      store.clear();
      log('messages.cleared');
      res.writeHead(204).end();
      return;
    }
    if (messageMatch && method === 'GET') {
      const id = decodeURIComponent(messageMatch[1] ?? '');
      if (messageMatch[2]) {
        const raw = store.raw(id);
        if (!raw) throw new HttpError(404, `no message ${id}`);
        return send(res, 200, raw, 'text/plain; charset=utf-8');
      }
      const message = store.get(id);
      if (!message) throw new HttpError(404, `no message ${id}`);
      return sendJson(res, 200, message);
    }
    if (path === '/api/faults' && method === 'GET') {
      return sendJson(res, 200, faults.list());
    }
    if (path === '/api/faults' && method === 'POST') {
      const fault = faults.add(parseFaultRequest(await readJson(req)));
      log('fault.added', { ...fault });
      return sendJson(res, 201, fault);
    }
    if (path === '/api/faults' && method === 'DELETE') {
      faults.clear();
      log('faults.cleared');
      res.writeHead(204).end();
      return;
    }
    throw new HttpError(404, `no route ${method} ${path}`);
  }

  return (req, res) => {
    route(req, res).catch((error: unknown) => {
      const status =
        error instanceof HttpError ? error.status : error instanceof InvalidFaultError ? 400 : 500;
      if (status === 500) log('http.error', { url: req.url, error: String(error) });
      if (res.headersSent) {
        res.destroy();
        return;
      }
      sendJson(res, status, {
        error: status === 500 ? 'internal error' : (error as Error).message,
      });
    });
  };
}
