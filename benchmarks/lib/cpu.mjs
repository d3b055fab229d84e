// CPU time a process tree used, read from /proc (Linux): a steadier figure than
// req/s on a shared machine, reported as microseconds of target CPU per request.
// Must not: start or stop processes. Returns null where /proc is missing.
import fs from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

function childrenOf(pid) {
  const out = [];
  let tasks;
  try { tasks = fs.readdirSync(`/proc/${pid}/task`); } catch { return out; }
  for (const t of tasks) {
    try {
      for (const c of fs.readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(/\s+/)) if (c) out.push(Number(c));
    } catch { /* task ended */ }
  }
  return out;
}

/** { user, sys } seconds of `pid` and every live descendant; null when /proc cannot tell. */
export function treeCpu(pid) {
  let user = 0;
  let sys = 0;
  let seen = false;
  const stack = [pid];
  while (stack.length) {
    const p = stack.pop();
    try {
      const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
      // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      user += Number(f[11]) / TICKS_PER_SECOND;
      sys += Number(f[12]) / TICKS_PER_SECOND;
      seen = true;
    } catch { continue; }
    stack.push(...childrenOf(p));
  }
  return seen ? { user, sys } : null;
}

/** Microseconds of CPU per request between two treeCpu readings: { userUs, sysUs, totalUs } or null. */
export function cpuPerRequest(before, after, requests) {
  if (!before || !after || !(requests > 0)) return null;
  const per = (s) => Number(((s * 1e6) / requests).toFixed(2));
  const user = after.user - before.user;
  const sys = after.sys - before.sys;
  return { userUs: per(user), sysUs: per(sys), totalUs: per(user + sys) };
}
