// Child processes and temp dirs of one benchmark run. Owns: starting a process
// (optionally under a raised `ulimit -n`), remembering every pid it started,
// and stopping exactly those pids (also on Ctrl-C, errors and exit).
// Must not: kill anything it did not start, or kill by name.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** fd limit asked for proxies and the idle-connection opener (capped at the hard limit). */
export const FD_LIMIT = 30000;

const live = new Set();
const dirs = new Set();

export function tmpDir(prefix = 'shardgate-bench-') {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.add(d);
  return d;
}

/**
 * Starts `cmd args`; with `fds`, through `bash -c 'ulimit -n …; exec "$@"'`, so
 * the pid we hold is the program itself (exec replaces the shell).
 * Returns { name, pid, child, output(), exited, stop(), pause(), resume() }.
 */
export function startTracked(name, cmd, args, { fds = 0, stdin = 'ignore', env, cwd } = {}) {
  const [file, argv] = fds
    ? ['bash', ['-c', `ulimit -n ${fds} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$@"`, 'bash', cmd, ...args]]
    : [cmd, args];
  const child = spawn(file, argv, { stdio: [stdin, 'pipe', 'pipe'], env: env ?? process.env, cwd });
  let out = '';
  const keep = (d) => { out += d; if (out.length > 65536) out = out.slice(-32768); };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const proc = {
    name,
    pid: child.pid,
    child,
    output: () => out,
    exited: new Promise((resolve) => child.once('exit', (code, signal) => { live.delete(proc); resolve({ code, signal }); })),
    isRunning: () => child.exitCode === null && child.signalCode === null,
    pause() { if (proc.isRunning()) process.kill(child.pid, 'SIGSTOP'); },
    resume() { if (proc.isRunning()) try { process.kill(child.pid, 'SIGCONT'); } catch { /* gone */ } },
    async stop() {
      if (!proc.isRunning()) return;
      proc.resume();
      child.kill('SIGTERM');
      const t = setTimeout(() => { if (proc.isRunning()) child.kill('SIGKILL'); }, 3000);
      await proc.exited;
      clearTimeout(t);
    },
  };
  child.on('error', (err) => { out += `\nspawn error: ${err.message}\n`; });
  live.add(proc);
  return proc;
}

/** Starts a server process and resolves once its port accepts connections. */
export async function startServer(name, cmd, args, port, opts = {}) {
  const proc = startTracked(name, cmd, args, opts);
  const early = proc.exited.then(({ code, signal }) => {
    throw new Error(`${name} exited early (code ${code}, signal ${signal}):\n${proc.output().slice(-2000)}`);
  });
  try {
    await Promise.race([waitForPort(port, opts.timeoutMs ?? 15000), early]);
  } catch (err) {
    await proc.stop();
    throw err;
  }
  early.catch(() => {}); // a later exit is reported by whoever uses the process
  proc.port = port;
  return proc;
}

export async function stopAll() {
  await Promise.all([...live].map((p) => p.stop()));
}

export function removeTmpDirs() {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  dirs.clear();
}

let installed = false;
let aborting = false;
/** True once Ctrl-C / SIGTERM arrived: the run must not write results. */
export const isAborting = () => aborting;
/** Stops every tracked process and removes temp dirs on Ctrl-C, SIGTERM, crash or exit. */
export function installCleanup() {
  if (installed) return;
  installed = true;
  const onSignal = (sig) => {
    aborting = true;
    process.stderr.write(`\n${sig}: stopping benchmark processes…\n`);
    stopAll().finally(() => { removeTmpDirs(); process.exit(130); });
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('exit', () => {
    for (const p of live) { try { p.resume(); p.child.kill('SIGKILL'); } catch { /* gone */ } }
    removeTmpDirs();
  });
}

/** A free TCP port on 127.0.0.1 (bind port 0, read it, close). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

export async function waitForPort(port, timeoutMs = 15000, host = '127.0.0.1') {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const s = net.connect({ port, host });
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${host}:${port} after ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** Resident set size of a process in KB (VmRSS), or null when it is gone. */
export function rssKb(pid) {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** Pids of `pid` and all its descendants (a proxy may run worker processes). */
export function processTree(pid) {
  const kids = new Map();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!kids.has(ppid)) kids.set(ppid, []);
      kids.get(ppid).push(Number(name));
    } catch { /* exited meanwhile */ }
  }
  const out = [pid];
  for (let i = 0; i < out.length; i++) out.push(...(kids.get(out[i]) ?? []));
  return out;
}

/** VmRSS summed over a process and its descendants, in KB (null when the process is gone). */
export function treeRssKb(pid) {
  const own = rssKb(pid);
  if (own == null) return null;
  return processTree(pid).slice(1).reduce((sum, p) => sum + (rssKb(p) ?? 0), own);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The first stdout line of a tracked child, parsed as JSON (rejects on exit or timeout first). */
export function firstJsonLine(proc, timeoutMs) {
  return new Promise((resolve, reject) => {
    let buf = '';
    const t = setTimeout(() => reject(new Error(`${proc.name} gave no result in ${timeoutMs} ms`)), timeoutMs);
    proc.child.stdout.on('data', (d) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl >= 0) { clearTimeout(t); resolve(JSON.parse(buf.slice(0, nl))); }
    });
    proc.exited.then(({ code }) => { clearTimeout(t); reject(new Error(`${proc.name} exited (${code}): ${proc.output().slice(-500)}`)); });
  });
}
