/**
 * The app's one page: pick or add a user, add and tick off tasks, export them as CSV and
 * watch the export's progress live (an EventSource on the app's own SSE route).
 */
export const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tasks</title>
<style>
  body { font: 16px/1.4 system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; }
  form { display: flex; gap: .5rem; margin: .5rem 0 1rem; }
  input[type=text], input[type=email] { flex: 1; }
  li.done span { text-decoration: line-through; color: #666; }
  progress { width: 100%; }
</style>
</head>
<body>
<h1>Tasks</h1>
<label>User <select id="user"></select></label>
<form id="new-user"><input type="text" name="name" placeholder="Name" required>
  <input type="email" name="email" placeholder="Email" required><button>Add user</button></form>
<section id="tasks-section" hidden>
  <h2>Tasks</h2>
  <ul id="tasks"></ul>
  <form id="new-task"><input type="text" name="title" placeholder="What needs doing?" required><button>Add task</button></form>
  <button id="export">Export as CSV</button> <button id="remind">Mail me a reminder</button>
  <p id="export-status" role="status"></p>
  <progress id="export-progress" max="100" value="0" hidden></progress>
  <p><a id="download" hidden>Download the CSV</a></p>
</section>
<script type="module">
const $ = (id) => document.getElementById(id);
const api = async (path, body) => {
  const res = await fetch(path, body === undefined ? {} : {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const data = res.status === 204 ? null : await res.json();
  if (!res.ok) throw new Error(data.title + (data.errors ? ': ' + data.errors.map((e) => e.field + ' ' + e.message).join(', ') : ''));
  return data;
};
const user = () => $('user').value;
async function loadUsers(select) {
  const users = await api('/users');
  $('user').replaceChildren(...users.map((u) => new Option(u.name + ' <' + u.email + '>', u.id)));
  if (select) $('user').value = select;
  $('tasks-section').hidden = users.length === 0;
  if (users.length) await loadTasks();
}
async function loadTasks() {
  const tasks = await api('/users/' + user() + '/tasks');
  $('tasks').replaceChildren(...tasks.map((t) => {
    const li = document.createElement('li');
    li.className = t.done ? 'done' : '';
    const box = Object.assign(document.createElement('input'), { type: 'checkbox', checked: t.done });
    box.onchange = async () => { await fetch('/users/' + user() + '/tasks/' + t.id, { method: 'PATCH',
      headers: { 'content-type': 'application/json' }, body: JSON.stringify({ done: box.checked }) }); await loadTasks(); };
    const label = Object.assign(document.createElement('span'), { textContent: ' ' + t.title });
    li.append(box, label);
    return li;
  }));
}
$('user').onchange = loadTasks;
$('new-user').onsubmit = async (e) => { e.preventDefault(); const f = new FormData(e.target);
  try { const u = await api('/users', { name: f.get('name'), email: f.get('email') }); e.target.reset(); await loadUsers(u.id); }
  catch (err) { alert(err.message); } };
$('new-task').onsubmit = async (e) => { e.preventDefault(); const f = new FormData(e.target);
  await api('/users/' + user() + '/tasks', { title: f.get('title') }); e.target.reset(); await loadTasks(); };
$('remind').onclick = async () => { const r = await api('/users/' + user() + '/reminders', {}); $('export-status').textContent = 'Reminder job ' + r.jobId + ' submitted'; };
$('export').onclick = async () => {
  const { events, download } = await api('/users/' + user() + '/exports', {});
  $('download').hidden = true; $('export-progress').hidden = false; $('export-progress').value = 0;
  const source = new EventSource(events);
  source.addEventListener('progress', (e) => { const p = JSON.parse(e.data);
    $('export-progress').value = p.percent; $('export-status').textContent = p.message || ''; });
  source.addEventListener('status', (e) => { const s = JSON.parse(e.data);
    $('export-status').textContent = 'Export ' + s.status + (s.rows !== undefined ? ': ' + s.rows + ' rows' : '');
    if (['succeeded', 'failed', 'cancelled'].includes(s.status)) { source.close();
      if (s.status === 'succeeded') { $('download').href = download; $('download').hidden = false; } } });
  source.addEventListener('error', () => source.close());
};
loadUsers();
</script>
</body>
</html>
`;
