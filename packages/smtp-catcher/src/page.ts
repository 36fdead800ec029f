import type { CaughtMessage } from './message-store.js';

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
<p>${messages.length} message(s), newest first. JSON API: <a href="/api/messages">/api/messages</a>.</p>
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
