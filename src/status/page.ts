// The live status page served at GET / on the admin API: one self-contained
// HTML document (no CDN, no external script: it works on a machine without
// internet). In the browser it reads /ring and /metrics every two seconds and
// the event stream /events, and draws the ring (servers as arcs by their
// share of the key space), each node's health, role, memory and replication
// lag, ops/s, hit rate and p99 latency over the last minutes (hand-drawn SVG
// line charts), and the recent events. Must not: hold state on the server side
// (it is a static string), or use a template literal inside the page's script.

const STYLE = String.raw`
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; background: #f6f7f9; color: #1d2330; }
  header { background: #1d2330; color: #fff; padding: 10px 20px; display: flex; gap: 20px; align-items: baseline; }
  header h1 { font-size: 18px; margin: 0; }
  header .meta { opacity: .8; font-size: 13px; }
  main { padding: 16px 20px; display: grid; gap: 16px; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); }
  section { background: #fff; border-radius: 6px; box-shadow: 0 1px 2px rgba(0,0,0,.08); padding: 12px 16px; }
  h2 { font-size: 15px; margin: 0 0 8px; }
  table { border-collapse: collapse; width: 100%; font-size: 13px; }
  th, td { text-align: left; padding: 3px 6px; border-bottom: 1px solid #eceef2; }
  .up { color: #12805c; font-weight: 600; } .down { color: #c62828; font-weight: 600; }
  .pool { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
  section { overflow-x: auto; }
  svg.ring { flex: none; width: 180px; height: 180px; }
  .charts { display: grid; gap: 10px; }
  .chart .now { font-weight: 600; }
  svg.line { width: 100%; height: 90px; background: #fafbfc; border: 1px solid #eceef2; }
  #events { list-style: none; margin: 0; padding: 0; max-height: 320px; overflow: auto; font-size: 13px; }
  #events li { padding: 3px 0; border-bottom: 1px solid #eceef2; }
  #events .t { color: #667; margin-right: 6px; } #events .ty { font-weight: 600; margin-right: 6px; }
  .ev-node_down .ty { color: #c62828; } .ev-node_up .ty { color: #12805c; }
`;

const SCRIPT = String.raw`
"use strict";
var POLL_MS = 2000, KEEP = 150;
var COLORS = ['#3b6fd8', '#e08a1e', '#7b4fd0', '#1e9c8a', '#c2417a', '#6b8e23', '#8a6d3b', '#2f4f8f'];
var series = { ops: [], hit: [], p99: [] };
var last = null;
var events = [];

function el(tag, attrs, text) {
  var e = document.createElementNS(tag === 'svg' || tag === 'path' || tag === 'polyline' || tag === 'circle' || tag === 'text' || tag === 'line' || tag === 'title' ? 'http://www.w3.org/2000/svg' : 'http://www.w3.org/1999/xhtml', tag);
  for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
  if (text !== undefined) e.textContent = text;
  return e;
}

function parseMetrics(text) {
  var out = [];
  text.split('\n').forEach(function (line) {
    if (line === '' || line[0] === '#') return;
    var m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!m) return;
    var labels = {};
    if (m[3]) m[3].replace(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g, function (_, k, v) { labels[k] = v; return ''; });
    out.push({ name: m[1], labels: labels, value: Number(m[4]) });
  });
  return out;
}

function sum(ms, name) {
  var s = 0;
  ms.forEach(function (m) { if (m.name === name) s += m.value; });
  return s;
}

function buckets(ms) {
  var b = {};
  ms.forEach(function (m) { if (m.name === 'shardgate_request_duration_seconds_bucket') b[m.labels.le] = (b[m.labels.le] || 0) + m.value; });
  return b;
}

function quantile(q, now, before) {
  var les = Object.keys(now).filter(function (k) { return k !== '+Inf'; }).map(Number).sort(function (a, b) { return a - b; });
  var total = (now['+Inf'] || 0) - ((before && before['+Inf']) || 0);
  if (total <= 0) return null;
  var rank = q * total, prevLe = 0, prevCount = 0;
  for (var i = 0; i < les.length; i++) {
    var key = String(les[i]);
    var c = (now[key] || 0) - ((before && before[key]) || 0);
    if (c >= rank) {
      var inBucket = c - prevCount;
      return inBucket > 0 ? prevLe + (les[i] - prevLe) * ((rank - prevCount) / inBucket) : les[i];
    }
    prevLe = les[i]; prevCount = c;
  }
  return les.length ? les[les.length - 1] : null;
}

function push(name, v) {
  series[name].push(v);
  if (series[name].length > KEEP) series[name].shift();
}

function drawChart(name, fmt) {
  var svg = document.getElementById('chart-' + name);
  var pts = series[name];
  while (svg.firstChild) svg.removeChild(svg.firstChild);
  var w = 400, h = 90, vals = pts.filter(function (v) { return v !== null; });
  var max = Math.max.apply(null, vals.concat([name === 'hit' ? 1 : 1e-9]));
  var coords = [];
  // the newest point at the right edge
  var offset = KEEP - pts.length;
  pts.forEach(function (v, i) {
    if (v === null) return;
    var x = ((offset + i) / (KEEP - 1)) * w, y = h - 4 - (v / max) * (h - 12);
    coords.push(x.toFixed(1) + ',' + y.toFixed(1));
  });
  svg.appendChild(el('polyline', { points: coords.join(' '), fill: 'none', stroke: '#3b6fd8', 'stroke-width': '2' }));
  svg.appendChild(el('text', { x: 4, y: 12, 'font-size': 10, fill: '#667' }, 'max ' + fmt(max)));
  var now = vals.length ? vals[vals.length - 1] : null;
  document.getElementById('now-' + name).textContent = now === null ? '-' : fmt(now);
  svg.setAttribute('data-points', String(coords.length));
}

function arc(cx, cy, r0, r1, a0, a1) {
  var large = a1 - a0 > Math.PI ? 1 : 0;
  function p(r, a) { return (cx + r * Math.sin(a)).toFixed(2) + ' ' + (cy - r * Math.cos(a)).toFixed(2); }
  if (a1 - a0 >= 2 * Math.PI - 1e-6) a1 = a0 + 2 * Math.PI - 1e-4;
  return 'M ' + p(r1, a0) + ' A ' + r1 + ' ' + r1 + ' 0 ' + large + ' 1 ' + p(r1, a1) + ' L ' + p(r0, a1) + ' A ' + r0 + ' ' + r0 + ' 0 ' + large + ' 0 ' + p(r0, a0) + ' Z';
}

function fmtBytes(v) {
  if (v === undefined || v === null) return '-';
  var u = ['B', 'KB', 'MB', 'GB', 'TB'], i = 0;
  while (v >= 1024 && i < u.length - 1) { v /= 1024; i++; }
  return v.toFixed(i ? 1 : 0) + ' ' + u[i];
}

function byServer(ms, name, pool) {
  var out = {};
  ms.forEach(function (m) { if (m.name === name && m.labels.pool === pool) out[m.labels.server] = m; });
  return out;
}

function renderPools(ring, ms) {
  var root = document.getElementById('pools');
  while (root.firstChild) root.removeChild(root.firstChild);
  Object.keys(ring.pools).forEach(function (name) {
    var p = ring.pools[name];
    var sec = el('section', { id: 'pool-' + name, 'data-pool': name });
    sec.appendChild(el('h2', {}, 'pool ' + name + ' \u2014 ring version ' + p.version + ' (' + p.distribution + ', ' + p.hash + ')'));
    var box = el('div', { 'class': 'pool' });
    var svg = el('svg', { id: 'ring-' + name, 'class': 'ring', width: 180, height: 180, viewBox: '0 0 180 180' });
    // A server that owns nothing (ejected) keeps a thin slice, drawn grey with a red border, so it stays visible.
    var DOWN_SLICE = 0.03;
    var empty = p.servers.filter(function (x) { return x.share <= 0; }).length;
    var a = 0, total = p.servers.reduce(function (s, x) { return s + x.share; }, 0) || 1;
    p.servers.forEach(function (s, i) {
      var share = s.share <= 0 ? DOWN_SLICE : (s.share / total) * (1 - DOWN_SLICE * empty);
      var path = el('path', { d: arc(90, 90, 55, 85, a, a + share * 2 * Math.PI), fill: s.live ? COLORS[i % COLORS.length] : '#d0d3da',
        stroke: s.live ? '#fff' : '#c62828', 'stroke-width': s.live ? 1 : 2, 'data-server': s.name, 'data-live': String(s.live) });
      path.appendChild(el('title', {}, s.name + ' ' + (s.share * 100).toFixed(1) + '% of the keys' + (s.live ? '' : ' (down)')));
      svg.appendChild(path);
      a += share * 2 * Math.PI;
    });
    var live = p.servers.filter(function (s) { return s.live; }).length;
    svg.appendChild(el('text', { x: 90, y: 95, 'text-anchor': 'middle', 'font-size': 14 }, live + '/' + p.servers.length + ' live'));
    box.appendChild(svg);
    var mem = byServer(ms, 'shardgate_backend_used_memory_bytes', name);
    var frag = byServer(ms, 'shardgate_backend_mem_fragmentation_ratio', name);
    var lagB = byServer(ms, 'shardgate_backend_replication_lag_bytes', name);
    var lagS = byServer(ms, 'shardgate_backend_replication_lag_seconds', name);
    var roles = {};
    ms.forEach(function (m) { if (m.name === 'shardgate_backend_role' && m.labels.pool === name && m.value === 1) roles[m.labels.server] = m.labels.role; });
    var t = el('table', { 'class': 'nodes' });
    var head = el('tr');
    ['', 'server', 'address', 'status', 'role', 'share', 'memory', 'frag', 'lag'].forEach(function (h) { head.appendChild(el('th', {}, h)); });
    t.appendChild(head);
    p.servers.forEach(function (s, i) {
      var tr = el('tr', { 'data-server': s.name, 'data-status': s.live ? 'up' : 'down' });
      var sw = el('td'); sw.appendChild(el('span', { style: 'display:inline-block;width:10px;height:10px;background:' + COLORS[i % COLORS.length] }));
      tr.appendChild(sw);
      tr.appendChild(el('td', {}, s.name));
      tr.appendChild(el('td', {}, s.address));
      tr.appendChild(el('td', { 'class': s.live ? 'up' : 'down' }, s.live ? 'up' : 'down'));
      tr.appendChild(el('td', {}, roles[s.name] || '-'));
      tr.appendChild(el('td', {}, (s.share * 100).toFixed(1) + '%'));
      tr.appendChild(el('td', { 'class': 'mem' }, mem[s.name] ? fmtBytes(mem[s.name].value) : '-'));
      tr.appendChild(el('td', {}, frag[s.name] ? frag[s.name].value.toFixed(2) : '-'));
      tr.appendChild(el('td', {}, lagB[s.name] ? fmtBytes(lagB[s.name].value) + ' / ' + (lagS[s.name] ? lagS[s.name].value : 0) + ' s' : '-'));
      t.appendChild(tr);
    });
    box.appendChild(t);
    sec.appendChild(box);
    root.appendChild(sec);
  });
}

function get(path, asText) {
  return fetch(path, { cache: 'no-store' }).then(function (r) {
    if (!r.ok) throw new Error(path + ': HTTP ' + r.status);
    return asText ? r.text() : r.json();
  });
}

function tick() {
  Promise.all([get('/ring'), get('/metrics', true)]).then(function (res) {
    var ring = res[0], ms = parseMetrics(res[1]);
    var now = { t: Date.now(), req: sum(ms, 'shardgate_requests_total'), hits: sum(ms, 'shardgate_cache_hits_total'),
      misses: sum(ms, 'shardgate_cache_misses_total'), b: buckets(ms) };
    if (last !== null) {
      var dt = (now.t - last.t) / 1000;
      push('ops', Math.max(0, (now.req - last.req) / dt));
      var h = now.hits - last.hits, m = now.misses - last.misses;
      push('hit', h + m > 0 ? h / (h + m) : null);
      var q = quantile(0.99, now.b, last.b);
      push('p99', q === null ? null : q * 1000);
    }
    last = now;
    renderPools(ring, ms);
    drawChart('ops', function (v) { return v.toFixed(0) + ' ops/s'; });
    drawChart('hit', function (v) { return (v * 100).toFixed(1) + ' %'; });
    drawChart('p99', function (v) { return v.toFixed(3) + ' ms'; });
    document.getElementById('generation').textContent = 'config generation ' + ring.generation;
    document.getElementById('state').textContent = 'updated ' + new Date().toLocaleTimeString();
    document.body.setAttribute('data-ticks', String(Number(document.body.getAttribute('data-ticks') || 0) + 1));
  }).catch(function (err) {
    document.getElementById('state').textContent = 'error: ' + err.message;
  });
}

function describe(e) {
  switch (e.type) {
    case 'node_down': return e.pool + '/' + e.server + ' down: ' + e.reason;
    case 'node_up': return e.pool + '/' + e.server + ' up';
    case 'ring_changed': return e.pool + ': ring ' + e.old_version + ' \u2192 ' + e.new_version + ' (' + e.reason + ')';
    case 'config_applied': return 'config ' + e.version + ' (' + e.source + ')' + (e.live && e.live.length ? ': ' + e.live.join('; ') : '');
    case 'config_rejected': return 'config rejected (' + e.source + '): ' + e.errors.map(function (x) { return x.message; }).join('; ');
    case 'migration_started': return e.pool + ': ' + e.mode + ' migration for ring ' + e.ring_version;
    case 'migration_progress': return e.pool + ': migration ' + e.scanned + ' scanned, ' + e.moved + ' moved';
    case 'migration_done': return e.pool + ': migration done, ' + e.moved + ' moved in ' + e.ms + ' ms';
    default: return JSON.stringify(e);
  }
}

function addEvent(e) {
  events.unshift(e);
  if (events.length > 100) events.pop();
  var ul = document.getElementById('events');
  var li = el('li', { 'class': 'ev-' + e.type, 'data-type': e.type });
  li.appendChild(el('span', { 'class': 't' }, e.time.slice(11, 19)));
  li.appendChild(el('span', { 'class': 'ty' }, e.type));
  li.appendChild(document.createTextNode(describe(e)));
  ul.insertBefore(li, ul.firstChild);
  while (ul.children.length > 100) ul.removeChild(ul.lastChild);
  if (e.type === 'node_down' || e.type === 'node_up' || e.type === 'ring_changed') tick();
}

function listen() {
  var src = new EventSource('/events?since=0');
  ['config_applied', 'config_rejected', 'ring_changed', 'pool_added', 'pool_removed', 'listener_changed', 'node_down', 'node_up',
    'migration_started', 'migration_progress', 'migration_done'].forEach(function (type) {
    src.addEventListener(type, function (m) { addEvent(JSON.parse(m.data)); });
  });
}

listen();
tick();
setInterval(tick, POLL_MS);
`;

export const STATUS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>shardgate status</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>${STYLE}</style>
</head>
<body>
<header><h1>shardgate</h1><span class="meta" id="generation"></span><span class="meta" id="state">loading…</span></header>
<main>
<div id="pools" style="display:contents"></div>
<section id="charts">
<h2>traffic (last 5 minutes)</h2>
<div class="charts">
<div class="chart">ops/s <span class="now" id="now-ops">-</span><svg class="line" id="chart-ops" viewBox="0 0 400 90" preserveAspectRatio="none"></svg></div>
<div class="chart">hit rate <span class="now" id="now-hit">-</span><svg class="line" id="chart-hit" viewBox="0 0 400 90" preserveAspectRatio="none"></svg></div>
<div class="chart">p99 latency <span class="now" id="now-p99">-</span><svg class="line" id="chart-p99" viewBox="0 0 400 90" preserveAspectRatio="none"></svg></div>
</div>
</section>
<section id="events-box"><h2>recent events</h2><ul id="events"></ul></section>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;
