// Turning raw runs into figures: medians, ratios, PASS/FAIL checks against the
// targets, the summary table printed at the end, and the SVG bar chart.
// Must not: run loads or touch processes.

export const median = (xs) => {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return null;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};

const ratio = (a, b) => (a != null && b != null && b > 0 ? a / b : null);

/** medians[load][target] = { rps, p50Ms, p99Ms, runs }. */
export function mediansOf(runs) {
  const out = {};
  for (const [load, byTarget] of Object.entries(runs)) {
    out[load] = {};
    for (const [t, rows] of Object.entries(byTarget)) {
      out[load][t] = { rps: median(rows.map((r) => r.rps)), p50Ms: median(rows.map((r) => r.p50Ms)), p99Ms: median(rows.map((r) => r.p99Ms)), cpuUs: median(rows.map((r) => r.cpuUs)), runs: rows.length };
    }
  }
  return out;
}

export function ratiosOf(medians) {
  const out = {};
  for (const [load, m] of Object.entries(medians)) {
    out[load] = {
      'shardgate/nutcracker': ratio(m.shardgate?.rps, m.nutcracker?.rps),
      'shardgate/direct': ratio(m.shardgate?.rps, m.direct?.rps),
      'nutcracker/direct': ratio(m.nutcracker?.rps, m.direct?.rps),
      'pipe/direct': ratio(m.pipe?.rps, m.direct?.rps),
      'shardgate/predixy': ratio(m.shardgate?.rps, m.predixy?.rps),
      'predixy/direct': ratio(m.predixy?.rps, m.direct?.rps),
    };
  }
  return out;
}

/**
 * Ratios of shardgate to nutcracker within each round (the two ran back to back,
 * so slow drift of the machine cancels), per load: the list in round order and
 * its median, for req/s and for p99.
 * paired[load] = { rounds: [{ round, rps, p99 }], rps, p99, rpsMin, rpsMax }.
 */
export function pairedOf(runs, a = 'shardgate', b = 'nutcracker') {
  const out = {};
  for (const [load, byTarget] of Object.entries(runs)) {
    const byRound = new Map((byTarget[b] ?? []).map((r) => [r.round, r]));
    const rounds = [];
    for (const r of byTarget[a] ?? []) {
      const o = byRound.get(r.round);
      if (o) rounds.push({ round: r.round, rps: ratio(r.rps, o.rps), p99: ratio(r.p99Ms, o.p99Ms) });
    }
    const rps = rounds.map((x) => x.rps).filter((x) => x != null);
    out[load] = { rounds, rps: median(rps), p99: median(rounds.map((x) => x.p99)), rpsMin: rps.length ? Math.min(...rps) : null, rpsMax: rps.length ? Math.max(...rps) : null };
  }
  return out;
}

/**
 * The targets of docs/benchmarks.md, one check each: { load, target, measured, status }.
 * Throughput and p99 are judged on the paired per-round ratios when given (see pairedOf),
 * else on the ratio of the medians.
 */
export function checksOf({ medians, paired, idle, flood, ran }) {
  const checks = [];
  const add = (load, target, measured, pass) => checks.push({ load, target, measured, status: pass === null ? 'SKIP' : pass ? 'PASS' : 'FAIL' });
  for (const [load, min, p99] of [['get-p1', 1.0, true], ['set-p1', 1.0, true], ['get-p16', 1.5, false], ['set-p16', 1.5, false], ['mget10-p1', 1.0, false]]) {
    const label = `>= ${min}x nutcracker${p99 ? ', p99 <= nutcracker' : ''}`;
    if (!ran.has(load)) { add(load, label, 'not run', null); continue; }
    const sg = medians[load]?.shardgate;
    const nc = medians[load]?.nutcracker;
    const pr = paired?.[load];
    if (pr && pr.rps != null) {
      const p99ok = !p99 || (pr.p99 != null && pr.p99 <= 1);
      const text = `${pr.rps.toFixed(2)}x (rounds ${pr.rpsMin.toFixed(2)}-${pr.rpsMax.toFixed(2)})${p99 ? `, p99 ${pr.p99 == null ? '-' : pr.p99.toFixed(2)}x` : ''}`;
      add(load, label, text, pr.rps >= min && p99ok);
      continue;
    }
    const r = ratio(sg?.rps, nc?.rps);
    const p99ok = !p99 || (sg?.p99Ms != null && nc?.p99Ms != null && sg.p99Ms <= nc.p99Ms);
    const text = r == null ? 'no data' : `${r.toFixed(2)}x${p99 ? `, p99 ${fmtMs(sg?.p99Ms)} vs ${fmtMs(nc?.p99Ms)} ms` : ''}`;
    add(load, label, text, r != null && r >= min && p99ok);
  }
  if (!ran.has('idle')) add('idle', '<= 8 KB/conn, all accepted', 'not run', null);
  else {
    const s = idle?.shardgate;
    const ok = s?.kbPerConn != null ? s.failed === 0 && s.kbPerConn <= 8 && s.targetAlive : false;
    add('idle', '<= 8 KB/conn, all accepted', s?.kbPerConn != null ? `${s.kbPerConn.toFixed(2)} KB/conn (${s.opened}/${s.count})` : (s?.error ?? 'no data'), ok);
  }
  if (!ran.has('flood')) add('flood', 'peak RSS < 256 MB, 0 dropped', 'not run', null);
  else {
    const f = flood?.shardgate;
    const ok = f && f.peakRssKb != null ? f.peakRssKb < 256 * 1024 && f.dropped === 0 && f.dbsize === f.requests && f.spotGetOk : false;
    add('flood', 'peak RSS < 256 MB, 0 dropped', f?.peakRssKb != null ? `${(f.peakRssKb / 1024).toFixed(1)} MB, dropped ${f.dropped}, dbsize ${f.dbsize}` : (f?.failed ?? f?.error ?? 'no data'), ok);
  }
  return checks;
}

const fmtK = (x) => (x == null ? '-' : `${(x / 1000).toFixed(1)}k`);
const fmtMs = (x) => (x == null ? '-' : x.toFixed(2));
const fmtUs = (x) => (x == null ? '-' : x.toFixed(1));
const fmtX = (x) => (x == null ? '-' : `${x.toFixed(2)}x`);
const pad = (s, n) => String(s).padEnd(n);

/** Per-round ratios of one pair (see pairedOf) as lines, after a blank line; nothing when no round paired. */
function pairedLines(lines, title, paired) {
  const loads = Object.entries(paired ?? {}).filter(([, p]) => p.rounds.length > 0);
  if (loads.length === 0) return;
  lines.push('');
  lines.push(`${title} round by round (req/s ratio, p99 ratio), and their medians:`);
  for (const [load, p] of loads) {
    lines.push(`${pad(load, 11)}${p.rounds.map((r) => `${fmtX(r.rps)}/${fmtX(r.p99)}`).join('  ')}   median ${fmtX(p.rps)} / p99 ${fmtX(p.p99)}`);
  }
}

/** The text table printed at the end of a run. */
export function summaryTable({ medians, ratios, paired, pairedPredixy, idle, flood, checks, targets }) {
  const lines = [];
  const cols = targets;
  lines.push(`${pad('load', 11)}${cols.map((t) => pad(`${t} req/s (p99 ms)`, 28)).join('')}${pad('sg/nc', 8)}${pad('sg/pdx', 8)}${pad('sg/direct', 10)}cpu us/req nc / sg`);
  for (const [load, m] of Object.entries(medians)) {
    lines.push(`${pad(load, 11)}${cols.map((t) => pad(m[t] ? `${fmtK(m[t].rps)} (${fmtMs(m[t].p99Ms)})` : 'failed/none', 28)).join('')}`
      + `${pad(fmtX(ratios[load]['shardgate/nutcracker']), 8)}${pad(fmtX(ratios[load]['shardgate/predixy']), 8)}${pad(fmtX(ratios[load]['shardgate/direct']), 10)}`
      + `${fmtUs(m.nutcracker?.cpuUs)} / ${fmtUs(m.shardgate?.cpuUs)}`);
  }
  pairedLines(lines, 'sg/nc', paired);
  pairedLines(lines, 'sg/predixy', pairedPredixy);
  for (const [name, rec] of [['idle', idle], ['flood', flood]]) {
    if (!rec) continue;
    for (const [t, r] of Object.entries(rec)) {
      if (name === 'idle') lines.push(`idle ${pad(t, 11)} ${r.kbPerConn != null ? `${r.kbPerConn.toFixed(2)} KB/conn, ${r.opened}/${r.count} open, RSS ${r.rssBeforeKb} -> ${r.rssAfterKb} KB` : `failed: ${r.error ?? r.firstError}`}`);
      else lines.push(`flood ${pad(t, 10)} ${r.peakRssKb != null ? `peak RSS ${(r.peakRssKb / 1024).toFixed(1)} MB (base ${(r.rssBaselineKb / 1024).toFixed(1)}), replies ${r.replies}/${r.requests}, errors ${r.errors}, dbsize ${r.dbsize}, spot GET ${r.spotGetOk ? 'ok' : 'BAD'}, ${r.totalMs} ms` : `failed: ${r.failed ?? r.error}`}`);
    }
  }
  lines.push('');
  lines.push(`${pad('check', 11)}${pad('target', 40)}${pad('measured (shardgate, paired rounds)', 44)}result`);
  for (const c of checks) lines.push(`${pad(c.load, 11)}${pad(c.target, 40)}${pad(c.measured, 44)}${c.status}`);
  return lines.join('\n');
}

const COLORS = { direct: '#7f8c8d', nutcracker: '#2980b9', shardgate: '#27ae60', pipe: '#e67e22', predixy: '#8e44ad', 'sg-baseline': '#a3d9b1', 'sg-nometrics': '#16a085' };
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** A small hand-written SVG: one group of bars per load, each group on its own scale. */
export function svgChart({ medians, targets, title }) {
  const loads = Object.keys(medians);
  const barW = 26;
  const gap = 34;
  const groupW = targets.length * barW + gap;
  const chartH = 200;
  const top = 50;
  const left = 20;
  const width = Math.max(560, left * 2 + targets.length * 110, left * 2 + loads.length * groupW);
  const height = top + chartH + 70;
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="10">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="${left}" y="18" font-size="13" font-weight="bold">${esc(title)}</text>`];
  targets.forEach((t, i) => {
    out.push(`<rect x="${left + i * 110}" y="28" width="10" height="10" fill="${COLORS[t] ?? '#999'}"/><text x="${left + 14 + i * 110}" y="37">${esc(t)}</text>`);
  });
  loads.forEach((load, g) => {
    const x0 = left + g * groupW;
    const max = Math.max(1, ...targets.map((t) => medians[load][t]?.rps ?? 0));
    targets.forEach((t, i) => {
      const v = medians[load][t]?.rps;
      const h = v ? Math.round((v / max) * chartH) : 0;
      const x = x0 + i * barW;
      out.push(`<rect x="${x}" y="${top + chartH - h}" width="${barW - 4}" height="${h}" fill="${COLORS[t] ?? '#999'}"><title>${esc(`${t} ${load}: ${v ? Math.round(v) : 'n/a'} req/s`)}</title></rect>`);
      out.push(`<text x="${x + (barW - 4) / 2}" y="${top + chartH - h - 3}" text-anchor="middle" font-size="8">${v ? `${Math.round(v / 1000)}k` : 'n/a'}</text>`);
    });
    out.push(`<text x="${x0 + (targets.length * barW) / 2}" y="${top + chartH + 14}" text-anchor="middle">${esc(load)}</text>`);
  });
  out.push(`<line x1="${left}" y1="${top + chartH}" x2="${width - left}" y2="${top + chartH}" stroke="#333"/>`);
  out.push(`<text x="${left}" y="${top + chartH + 34}" fill="#555">req/s (median of rounds); each group has its own scale. Labels: thousands of req/s.</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
