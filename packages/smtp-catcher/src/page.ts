import type { CaughtMessage } from './message-store.js';
import type { CaughtWebhook } from './webhook-store.js';

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => ENTITIES[char] ?? char);
}

/** The `GET /` page: newest message first, reloading itself every few seconds. */
export function renderIndexPage(messages: readonly CaughtMessage[]): string {
  const rows = [...messages]
    .reverse()
    .map((message) => {
      const id = encodeURIComponent(message.id);
      const cells = [
        message.receivedAt,
        message.from ?? message.envelope.from,
        (message.to.length > 0 ? message.to : message.envelope.to).join(', '),
        message.subject ?? '(no subject)',
      ].map((cell) => `<td>${escapeHtml(cell)}</td>`);
      return `<tr>${cells.join('')}<td><a href="/api/messages/${id}">json</a> <a href="/api/messages/${id}/raw">raw</a></td></tr>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="3">
<title>Conveyor SMTP catcher</title>
<style>
body { font: 14px system-ui, sans-serif; margin: 1.5rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 0.3rem 0.6rem; border-bottom: 1px solid #ddd; }
th { background: #f4f4f4; }
</style>
</head>
<body>
<h1>Conveyor SMTP catcher</h1>
<p>${messages.length} message(s), newest first. JSON API: <a href="/api/messages">/api/messages</a>. <a href="/webhooks">Webhooks</a>.</p>
<table>
<thead><tr><th>Received</th><th>From</th><th>To</th><th>Subject</th><th></th></tr></thead>
<tbody>
${rows || '<tr><td colspan="5">No messages yet.</td></tr>'}
</tbody>
</table>
</body>
</html>
`;
}

/**
 * The `GET /webhooks` page: caught webhooks, newest first, each marked by whether its
 * signature verifies with the secret typed into the form (sent as `?secret=`).
 */
export function renderWebhooksPage(webhooks: readonly CaughtWebhook[], secret: string): string {
  const verdict = (v: boolean | null) =>
    v === null ? 'give the secret' : v ? 'verified' : 'does NOT verify';
  const rows = [...webhooks]
    .reverse()
    .map((w) => {
      const cells = [
        w.receivedAt,
        w.path,
        w.headers['webhook-id'] ?? '',
        verdict(w.verified),
        w.body.length > 300 ? `${w.body.slice(0, 300)}…` : w.body,
      ].map((cell) => `<td>${escapeHtml(cell)}</td>`);
      return `<tr>${cells.join('')}</tr>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="3">
<title>Conveyor webhook catcher</title>
<style>
body { font: 14px system-ui, sans-serif; margin: 1.5rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 0.3rem 0.6rem; border-bottom: 1px solid #ddd; vertical-align: top; }
td:last-child { font-family: monospace; word-break: break-all; }
th { background: #f4f4f4; }
</style>
</head>
<body>
<h1>Conveyor webhook catcher</h1>
<p>Development only: every <code>POST /webhooks/…</code> is kept here, newest first.
<a href="/">Messages</a> · JSON API: <a href="/api/webhooks">/api/webhooks</a>.</p>
<form method="get" action="/webhooks">
<label for="secret">Signing secret (whsec_…)</label>
<input id="secret" name="secret" size="60" value="${escapeHtml(secret)}">
<button type="submit">Verify signatures</button>
</form>
<table>
<thead><tr><th>Received</th><th>Path</th><th>webhook-id</th><th>Signature</th><th>Body</th></tr></thead>
<tbody>
${rows || '<tr><td colspan="5">No webhooks yet.</td></tr>'}
</tbody>
</table>
</body>
</html>
`;
}
