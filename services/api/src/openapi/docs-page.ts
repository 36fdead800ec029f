/**
 * `/docs`: a self-contained page (no CDN, inline script) that reads `/openapi.json` and lists
 * every operation with its request and response schemas.
 */
export const DOCS_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Conveyor API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:960px;padding:0 1rem;color:#222}
h1{margin-bottom:.2rem}.op{border:1px solid #ddd;border-radius:6px;margin:.8rem 0;padding:.4rem .8rem}
.m{display:inline-block;min-width:4.5rem;font-weight:700;text-transform:uppercase}
.get{color:#0a7}.post{color:#06c}.delete{color:#c33}.patch{color:#a60}
pre{background:#f6f8fa;padding:.6rem;overflow:auto;max-height:24rem}summary{cursor:pointer}
</style></head><body>
<h1>Conveyor API</h1><p id="info">Loading <a href="/openapi.json">/openapi.json</a>…</p><div id="ops"></div>
<script>
(async function () {
  const doc = await (await fetch('/openapi.json')).json();
  const schemas = (doc.components && doc.components.schemas) || {};
  const resolve = (s) => (s && s.$ref ? schemas[s.$ref.split('/').pop()] : s);
  const el = (tag, attrs, text) => { const e = document.createElement(tag); Object.assign(e, attrs || {}); if (text) e.textContent = text; return e; };
  const block = (title, schema) => { const d = el('details'); d.append(el('summary', null, title), el('pre', null, JSON.stringify(resolve(schema), null, 2))); return d; };
  document.getElementById('info').textContent = doc.info.title + ' ' + doc.info.version + ' (OpenAPI ' + doc.openapi + ')';
  const root = document.getElementById('ops');
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const box = el('div', { className: 'op' });
      const head = el('div');
      head.append(el('span', { className: 'm ' + method }, method), el('code', null, path), document.createTextNode(' — ' + op.summary));
      box.append(head);
      const body = op.requestBody && Object.entries(op.requestBody.content)[0];
      if (body) box.append(block('Request ' + body[0], body[1].schema));
      for (const [status, res] of Object.entries(op.responses)) {
        const c = res.content && Object.entries(res.content)[0];
        box.append(c ? block(status + ' ' + res.description + ' (' + c[0] + ')', c[1].schema) : el('div', null, status + ' ' + res.description));
      }
      root.append(box);
    }
  }
  const payloads = el('div'); payloads.append(el('h2', null, 'Job payloads'));
  for (const [name, schema] of Object.entries(schemas)) if (name.startsWith('Payload.')) payloads.append(block(name.slice(8), schema));
  root.append(payloads);
})().catch((err) => { document.getElementById('info').textContent = 'Failed to load /openapi.json: ' + err; });
</script></body></html>`;
