// Stopping `shardgate up` the ways a terminal, a process manager or npm do:
// every signal, to `up` itself or to the `npm start` process in front of it,
// the death of its parent, and SIGKILL to `up` itself (its watchdog) leave no
// process behind (checked by pid); a taken port fails the start cleanly. A
// backend that dies is reported (role, port, pid, signal), restarted, and left
// down after too many restarts.
import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { freePort } from '../fixtures/ports.js';
import { SHARDGATE_BIN, tmpDir } from '../fixtures/procs.js';
import { RESTART_LIMIT } from '../../src/cluster/local.js';
import { until } from '../fixtures/until.js';
import { allGone, alive, childrenOf, startUp, type RunningUp } from './up-fixture.js';

function exitOf(up: RunningUp): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (up.child.exitCode !== null || up.child.signalCode !== null) return Promise.resolve({ code: up.child.exitCode, signal: up.child.signalCode });
  return new Promise((resolve) => up.child.once('exit', (code, signal) => resolve({ code, signal })));
}

const cli = (port: number, ...args: string[]) => execFileSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8' }).trim();

describe('shardgate up stops everything it started', () => {
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    it(`on ${sig} to its own pid`, async () => {
      const up = await startUp('redis');
      try {
        expect(up.upPid).toBe(up.child.pid);
        expect(up.backendPids).toHaveLength(6);
        const exited = exitOf(up);
        process.kill(up.upPid, sig);
        expect(await exited).toEqual({ code: 0, signal: null });
        await allGone([...up.backendPids, up.watchdogPid]);
        expect(up.output()).toContain(`${sig}: stopping the proxy and 6 backends`);
      } finally {
        await up.cleanup();
      }
    }, 60_000);
  }

  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    it(`on ${sig} to the \`npm start\` process (npm passes it on; start execs node)`, async () => {
      const up = await startUp('redis', 'npm start');
      try {
        const npmPid = up.child.pid!;
        expect(up.upPid).not.toBe(npmPid);
        expect(up.backendPids).toHaveLength(6);
        process.kill(npmPid, sig);
        await allGone([npmPid, up.upPid, ...up.backendPids, up.watchdogPid]);
      } finally {
        await up.cleanup();
      }
    }, 90_000);
  }

  it('when its parent dies (SIGKILL to `npm start`)', async () => {
    const up = await startUp('redis', 'npm start');
    try {
      const npmPid = up.child.pid!;
      process.kill(npmPid, 'SIGKILL');
      await allGone([npmPid, up.upPid, ...up.backendPids, up.watchdogPid]);
    } finally {
      await up.cleanup();
    }
  }, 90_000);
});

describe('shardgate up leaves nothing behind even when killed', () => {
  it('SIGKILL to `up` itself: its watchdog stops every backend, then exits', async () => {
    const up = await startUp('redis');
    try {
      expect(childrenOf(up.upPid).map((k) => k.pid)).toEqual(expect.arrayContaining([...up.backendPids, up.watchdogPid]));
      process.kill(up.upPid, 'SIGKILL');
      await allGone([up.upPid, ...up.backendPids, up.watchdogPid]);
    } finally {
      await up.cleanup();
    }
  }, 60_000);
});

describe('shardgate up fails cleanly at start-up', () => {
  it('a master port held by something else: exits 1 naming it and the backend\'s last output, and stops what it started', async () => {
    const dir = tmpDir('shardgate-up-taken-');
    const [listen, free, taken] = [await freePort(), await freePort(), await freePort()];
    // The squatter accepts connections, so only the backend's exit tells that it could not listen.
    const squatter = net.createServer((s) => s.destroy()).listen(taken, '127.0.0.1');
    await new Promise((r) => squatter.once('listening', r));
    const conf = path.join(dir, 'proxy.yaml');
    fs.writeFileSync(conf, ['alpha:', `  listen: 127.0.0.1:${listen}`, '  redis: true', '  servers:', `   - 127.0.0.1:${free}:1`, `   - 127.0.0.1:${taken}:1`, ''].join('\n'));
    try {
      const r = spawnSync(process.execPath, [SHARDGATE_BIN, 'up', '-c', conf, '--backend', 'redis', '--data', path.join(dir, 'data'), '--replica-offset', '0', '-s', '0'],
        { encoding: 'utf8', timeout: 30_000 });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`master 127.0.0.1:${taken} (redis-server) exited during start-up (code 1)`);
      expect(r.stderr).toContain('Address already in use');
      // The backend that did start is stopped again: nothing listens on its port.
      await until(`port ${free} closed`, () => new Promise<boolean>((resolve) => {
        const c = net.connect(free, '127.0.0.1');
        c.once('connect', () => { c.destroy(); resolve(false); });
        c.once('error', () => resolve(true));
      }), 5000);
    } finally {
      squatter.close();
    }
  }, 60_000);
});

describe('shardgate up supervises its backends', () => {
  it('reports a backend killed by a signal, restarts it, and leaves it down after the restart limit', async () => {
    const up = await startUp('redis');
    try {
      const port = up.masters[0]!;
      expect(cli(up.listen, 'SET', 'sup:a', '1')).toBe('OK');
      let pid = up.backendPids[0]!;
      const seen: number[] = [pid];
      for (let attempt = 1; attempt <= RESTART_LIMIT; attempt++) {
        process.kill(pid, 'SIGKILL');
        const died = `master 127.0.0.1:${port} (redis-server, pid ${pid}) died by SIGKILL; restarting it with the same data folder (restart ${attempt} of ${RESTART_LIMIT}`;
        await until(`"${died}"`, () => up.output().includes(died), 10_000);
        const back = new RegExp(`master 127\\.0\\.0\\.1:${port} \\(redis-server, pid (\\d+)\\) is back and listening`, 'g');
        await until('the restarted master', () => [...up.output().matchAll(back)].length === attempt, 15_000);
        pid = Number([...up.output().matchAll(back)].at(-1)![1]);
        expect(seen).not.toContain(pid);
        seen.push(pid);
        expect(alive(pid)).toBe(true);
        expect(cli(port, 'PING')).toBe('PONG');
      }
      // Through the proxy, the whole key space works again after the restarts.
      for (let i = 0; i < 20; i++) expect(cli(up.listen, 'SET', `sup:${i}`, `v${i}`)).toBe('OK');
      expect(cli(up.listen, 'GET', 'sup:19')).toBe('v19');
      // One death too many within the window: reported with the command to start it by hand, not restarted.
      process.kill(pid, 'SIGKILL');
      const down = `master 127.0.0.1:${port} (redis-server, pid ${pid}) died by SIGKILL; it was restarted ${RESTART_LIMIT} times`;
      await until(`"${down}"`, () => up.output().includes(down), 10_000);
      expect(up.output()).toContain(`start it by hand with: redis-server --port ${port} `);
      await new Promise((r) => setTimeout(r, 1000));
      expect([...up.output().matchAll(/is back and listening/g)]).toHaveLength(RESTART_LIMIT);
      expect(cli(up.listen, 'PING')).toBe('PONG');
      // Ctrl-C still stops the rest, including the restarted processes.
      const exited = exitOf(up);
      up.child.kill('SIGINT');
      expect((await exited).code).toBe(0);
      await allGone([...seen, ...up.backendPids.slice(1), up.watchdogPid]);
    } finally {
      await up.cleanup();
    }
  }, 120_000);
});
