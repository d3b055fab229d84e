// Idle-connection load: what each accepted, idle client connection costs a
// proxy in resident memory. Owns: running clients/idle-opener.mjs against one
// target and reading the target's VmRSS before and after. Must not: stop targets.
import path from 'node:path';
import { FD_LIMIT, firstJsonLine, processTree, sleep, startTracked, treeRssKb } from '../lib/procs.mjs';
import { ROOT } from '../lib/targets.mjs';

const OPENER = path.join(ROOT, 'benchmarks/clients/idle-opener.mjs');

/** Opens `count` idle connections to target.port; returns RSS figures and KB per connection. */
export async function idleLoad(target, count) {
  await sleep(500);
  const rssBeforeKb = treeRssKb(target.pid);
  const opener = startTracked('idle-opener', process.execPath, [OPENER, '--port', String(target.port), '--count', String(count)], { fds: FD_LIMIT, stdin: 'pipe' });
  let res;
  try {
    res = await firstJsonLine(opener, 180000);
    await sleep(1000); // let the proxy settle (allocations after the last PONG)
    const rssAfterKb = treeRssKb(target.pid);
    const alive = target.proc.isRunning();
    res = {
      count, ...res, rssBeforeKb, rssAfterKb, targetAlive: alive, processes: processTree(target.pid).length,
      kbPerConn: res.opened > 0 && rssAfterKb != null ? (rssAfterKb - rssBeforeKb) / res.opened : null,
    };
  } finally {
    opener.child.stdin.end('close\n');
    await Promise.race([opener.exited, sleep(5000)]);
    await opener.stop();
  }
  await sleep(500); // let the proxy see the closes before the next load
  return res;
}
