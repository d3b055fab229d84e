// The backends' watchdog for `shardgate up`: a small process that `up` starts
// with a pipe on its stdin and tells, one line per process, the pids of the
// backends it runs ("+pid" started, "-pid" stopped). When that pipe closes
// without a "done" line — `up` died, even by SIGKILL, which it cannot catch —
// the watchdog SIGTERMs every pid it still holds, SIGKILLs those left after a
// grace period, and exits. It ignores SIGINT and SIGHUP (a Ctrl-C to the
// terminal's process group is `up`'s to handle) and must not outlive the pipe.
const GRACE_MS = 5000;
const pids = new Set<number>();
let done = false;
let buffered = '';

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

function stopAll(): void {
  for (const pid of pids) { try { process.kill(pid, 'SIGTERM'); } catch { /* gone */ } }
  const deadline = Date.now() + GRACE_MS;
  const check = setInterval(() => {
    const left = [...pids].filter(alive);
    if (left.length === 0 || Date.now() > deadline) {
      for (const pid of left) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
      clearInterval(check);
      process.exit(0);
    }
  }, 50);
}

process.on('SIGINT', () => undefined);
process.on('SIGHUP', () => undefined);
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk: string) => {
  buffered += chunk;
  const lines = buffered.split('\n');
  buffered = lines.pop() ?? '';
  for (const line of lines) {
    if (line === 'done') done = true;
    else if (/^[+-]\d+$/.test(line)) {
      const pid = Number(line.slice(1));
      if (line.startsWith('+')) pids.add(pid); else pids.delete(pid);
    }
  }
});
process.stdin.on('end', () => { if (done) process.exit(0); else stopAll(); });
process.stdin.on('error', () => stopAll());
