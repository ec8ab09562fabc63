/**
 * The oracle's dashboard (`/`): one static page and one script, no build
 * step. It polls the API every second — provers, graphs, and the selected
 * graph drawn as its DAG with each op's status and devices. With tokens on,
 * open it as `/#token=<token>` (the fragment never reaches the server's logs).
 */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>galactic oracle</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #1d2433; background: #f7f8fa; }
  h1 { font-size: 1.3rem; margin: 0 0 .2rem; } h2 { font-size: 1.05rem; margin: 1.4rem 0 .5rem; }
  .muted { color: #6b7385; } table { border-collapse: collapse; width: 100%; background: #fff; }
  th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #e3e6ec; } th { font-weight: 600; background: #eef0f4; }
  tr.graph { cursor: pointer; } tr.graph.selected { background: #e6efff; }
  .pill { display: inline-block; padding: 0 .45rem; border-radius: .6rem; font-size: 12px; color: #fff; }
  .s-online, .s-done { background: #2f9e44; } .s-offline, .s-waiting, .s-pending, .s-cancelled { background: #868e96; }
  .s-banned, .s-failed { background: #e03131; } .s-ready { background: #f08c00; } .s-assigned, .s-running { background: #1c7ed6; }
  svg { background: #fff; border: 1px solid #e3e6ec; } #error { color: #e03131; }
</style>
</head>
<body>
<h1>galactic oracle <span id="oracle" class="muted"></span></h1>
<div id="summary" class="muted"></div><div id="error"></div>
<h2>Provers</h2>
<table><thead><tr><th>name</th><th>state</th><th>slots</th><th>power</th><th>task types</th><th>penalty</th></tr></thead><tbody id="provers"></tbody></table>
<h2>Graphs</h2>
<table><thead><tr><th>graph</th><th>status</th><th>gas</th><th>price</th><th>created</th></tr></thead><tbody id="graphs"></tbody></table>
<h2>Graph <span id="graph-id" class="muted"></span> <span id="graph-status"></span></h2>
<svg id="dag" width="100%" height="60"></svg>
<table><thead><tr><th>op</th><th>kind</th><th>status</th><th>devices</th><th>attempts</th><th>verification</th></tr></thead><tbody id="ops"></tbody></table>
<script src="/dashboard.js"></script>
</body>
</html>
`;

export const DASHBOARD_JS = `'use strict';
const token = new URLSearchParams(location.hash.slice(1)).get('token');
const headers = token ? { authorization: 'Bearer ' + token } : {};
const $ = (id) => document.getElementById(id);
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
const pill = (s) => '<span class="pill s-' + esc(s) + '">' + esc(s) + '</span>';
const names = new Map();
let selected = null;
let shown = null; // the selected graph as last drawn

async function get(path) {
  const res = await fetch(path, { headers });
  if (!res.ok) throw new Error(path + ': HTTP ' + res.status);
  return res.json();
}

function penalty(p) {
  if (p.banned) return 'banned';
  const parts = [];
  if (p.consecutiveFailures) parts.push(p.consecutiveFailures + ' failure(s)');
  if (p.excludedUntil && p.excludedUntil > Date.now()) parts.push('excluded ' + Math.ceil((p.excludedUntil - Date.now()) / 1000) + ' s');
  return parts.join(', ') || '—';
}

function drawDag(ops) {
  if (ops.length > 200) { $('dag').setAttribute('height', '0'); return; } // a table is more use than a picture this big
  const index = new Map(ops.map((o, i) => [o.id, i]));
  const depth = ops.map(() => 0);
  for (let pass = 0; pass < ops.length; pass++)
    ops.forEach((o, i) => o.inputs.forEach((id) => { depth[i] = Math.max(depth[i], depth[index.get(id)] + 1); }));
  const rows = new Map();
  const pos = ops.map((o, i) => { const r = rows.get(depth[i]) || 0; rows.set(depth[i], r + 1); return { x: 20 + depth[i] * 210, y: 20 + r * 64 }; });
  const height = 40 + Math.max(1, ...rows.values()) * 64;
  let svg = '';
  ops.forEach((o, i) => o.inputs.forEach((id) => {
    const a = pos[index.get(id)], b = pos[i];
    svg += '<line x1="' + (a.x + 170) + '" y1="' + (a.y + 22) + '" x2="' + b.x + '" y2="' + (b.y + 22) + '" stroke="#adb5bd" stroke-width="2"/>';
  }));
  const colour = { done: '#2f9e44', failed: '#e03131', ready: '#f08c00', assigned: '#1c7ed6', running: '#1c7ed6', waiting: '#868e96' };
  ops.forEach((o, i) => {
    const p = pos[i], devices = (o.deviceIds || []).map((d) => names.get(d) || d).join(', ');
    svg += '<g data-op="' + esc(o.id) + '" data-status="' + esc(o.status) + '"><rect x="' + p.x + '" y="' + p.y + '" width="170" height="44" rx="6" fill="' + (colour[o.status] || '#868e96') + '"/>' +
      '<text x="' + (p.x + 8) + '" y="' + (p.y + 18) + '" fill="#fff" font-weight="600">' + esc(o.id) + '</text>' +
      '<text x="' + (p.x + 8) + '" y="' + (p.y + 36) + '" fill="#fff" font-size="12">' + esc(o.status + (devices ? ' · ' + devices : '')) + '</text></g>';
  });
  const dag = $('dag');
  dag.setAttribute('height', String(height));
  dag.innerHTML = svg;
}

async function refresh() {
  try {
    const [health, provers, graphs] = await Promise.all([get('/healthz'), get('/v1/provers'), get('/v1/graphs?limit=50')]);
    $('oracle').textContent = health.oracleId + ' · v' + health.version;
    $('summary').textContent = health.online + ' provers online, ' + health.busy + ' busy, ' + health.running + ' tasks running, ' + health.ready + ' ops waiting, ' + health.graphs + ' graphs active';
    for (const p of provers) names.set(p.id, p.name);
    $('provers').innerHTML = provers.map((p) => '<tr data-prover="' + esc(p.name) + '"><td>' + esc(p.name) + '</td><td>' + pill(p.state) + (p.busy ? ' busy' : '') + '</td><td>' +
      p.capacity.used + '/' + p.capacity.slots + '</td><td>' + (p.power.gasPerSecond / 1e9).toFixed(2) + ' Ggas/s</td><td>' +
      esc((p.taskTypes || []).map((t) => t.plugin + ': ' + t.ops.join(', ')).join('; ')) + '</td><td>' + esc(penalty(p.penalty)) + '</td></tr>').join('');
    if (!selected && graphs.length) selected = graphs[0].id;
    $('graphs').innerHTML = graphs.map((g) => '<tr class="graph' + (g.id === selected ? ' selected' : '') + '" data-graph="' + esc(g.id) + '"><td>' + esc(g.id) + '</td><td>' + pill(g.status) +
      '</td><td>' + Number(g.gas).toLocaleString() + '</td><td>' + esc(g.price) + '</td><td>' + new Date(g.createdAt).toLocaleTimeString() + '</td></tr>').join('');
    if (selected) {
      // After the first read of a graph, only its ops changed since then.
      const known = shown && shown.id === selected ? shown : null;
      const g = await get('/v1/graphs/' + encodeURIComponent(selected) + (known ? '?since=' + encodeURIComponent(known.version) : ''));
      if (g.changedSince && known) {
        const changed = new Map(g.ops.map((o) => [o.id, o]));
        g.ops = known.ops.map((o) => changed.get(o.id) || o);
      }
      shown = g;
      $('graph-id').textContent = g.id + (g.name ? ' (' + g.name + ')' : '');
      $('graph-status').innerHTML = pill(g.status) + (g.error ? ' <span class="muted">' + esc(g.error) + '</span>' : '');
      drawDag(g.ops);
      $('ops').innerHTML = g.ops.map((o) => '<tr data-op-row="' + esc(o.id) + '"><td>' + esc(o.id) + '</td><td>' + esc(o.name) + '</td><td>' + pill(o.status) + '</td><td>' +
        esc((o.deviceIds || []).map((d) => names.get(d) || d).join(', ') || '—') + '</td><td>' + o.attempts.length + '</td><td>' + esc(o.verification || '—') + '</td></tr>').join('');
    }
    $('error').textContent = '';
  } catch (err) {
    $('error').textContent = String(err.message || err);
  }
}

$('graphs').addEventListener('click', (e) => {
  const row = e.target.closest('tr[data-graph]');
  if (row) { selected = row.dataset.graph; refresh(); }
});
refresh();
setInterval(refresh, 1000);
`;
