// Long-running scripts, side by side: a real redis-server 7.0 and a `shardgate
// node` process get the same scenario (busy-reply-threshold set to 200 ms on
// both by CONFIG SET) and what the clients see must be equal byte for byte:
// other clients answered BUSY past the threshold (and the few commands Redis
// still runs then), SCRIPT KILL stopping a script that has not written and the
// error its caller gets, UNKILLABLE once it wrote, SHUTDOWN refused and
// SHUTDOWN NOSAVE ending the process without the script's partial writes in the
// AOF, the caller's pipelined commands answered in order after the script, a
// blocked client and a replica link across a busy script (on the master, and
// on the replica: its master's stream waits for the end), no key expiring in
// the middle of a script. Needs the built CLI
// (npm run build).
import { afterEach, describe, expect, it } from 'vitest';
import { startRedis, startShardgate, tmpDir, type Proc } from '../../fixtures/procs.js';
import { freePort } from '../../fixtures/ports.js';
import { RespClient } from '../../fixtures/resp-client.js';
import { until } from '../../fixtures/until.js';
import { spinLua } from '../../fixtures/lua.js';
import { encodeCommand } from '../../../src/resp/encode.js';

const THRESHOLD = '200';
const BUSY = '-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n';
const LOOP = 'while true do end';
/** a script that writes, then runs past the threshold for ~1 s of its own clock, then ends */
const WRITE_THEN_RUN = "redis.call('rpush', KEYS[1], 'from-script') " + spinLua(1_000_000)
  + "redis.call('incr', KEYS[2]) return 'done'";

const procs: Proc[] = [];
const clients: RespClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const p of procs.splice(0)) await p.stop('SIGKILL');
});

interface Side { name: 'redis' | 'node'; proc: Proc }

async function startBoth(o: { redis?: string[]; node?: string[] } = {}): Promise<[Side, Side]> {
  const port = await freePort();
  const [redis, node] = await Promise.all([
    startRedis(o.redis ?? []),
    startShardgate(['node', '--port', String(port), '--loglevel', 'warn', ...(o.node ?? [])], port),
  ]);
  procs.push(redis, node);
  return [{ name: 'redis', proc: redis }, { name: 'node', proc: node }];
}

/** A replica of the same kind as its master (redis-server or `shardgate node`), stopped after the test. */
async function startReplica(kind: Side['name'], masterPort: number): Promise<Proc> {
  const port = await freePort();
  const replica = kind === 'redis'
    ? await startRedis(['--replicaof', '127.0.0.1', String(masterPort)])
    : await startShardgate(['node', '--port', String(port), '--loglevel', 'warn', '--replicaof', `127.0.0.1 ${masterPort}`], port);
  procs.push(replica);
  return replica;
}

async function connect(port: number): Promise<RespClient> {
  const c = await RespClient.connect(port);
  clients.push(c);
  return c;
}

const text = (b: Buffer): string => b.toString('latin1');

/** Poll with PING until the server answers BUSY (the script went past the threshold). */
async function untilBusy(c: RespClient): Promise<void> {
  await until('BUSY', async () => text(await c.raw(['PING'], 20_000)) === BUSY, 20_000, 20);
}

function exited(p: Proc, ms: number): Promise<number | null> {
  if (p.child.exitCode !== null) return Promise.resolve(p.child.exitCode);
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`pid ${p.pid} still running ${ms} ms after SHUTDOWN NOSAVE`)), ms);
    p.child.once('exit', (code) => { clearTimeout(t); resolve(code); });
  });
}

describe('a script past busy-reply-threshold (redis-server 7.0 and shardgate node side by side)', () => {
  it('others get BUSY but for the commands Redis allows; SCRIPT KILL stops it; the caller gets the kill error, then its pipelined PING', async () => {
    const sides = await startBoth();
    const seen = await Promise.all(sides.map(async ({ proc }) => {
      const [a, b] = await Promise.all([connect(proc.port), connect(proc.port)]);
      const out: string[] = [];
      for (const argv of [['CONFIG', 'SET', 'busy-reply-threshold', THRESHOLD], ['CONFIG', 'GET', 'lua-time-limit'], ['CONFIG', 'GET', 'busy-reply-threshold'], ['SCRIPT', 'KILL']]) out.push(text(await b.raw(argv)));
      // the script and a PING behind it in one write: the PING is answered after the script
      a.sendRaw(Buffer.concat([encodeCommand(['EVAL', LOOP, '0']), encodeCommand(['PING', 'after'])]));
      await untilBusy(b);
      const whileBusy = [
        ['PING'], ['GET', 'k'], ['SET', 'k', 'v'], ['EVAL', 'return 1', '0'], ['SCRIPT', 'LOAD', 'return 1'], ['SCRIPT', 'EXISTS', 'x'],
        ['SCRIPT', 'NOSUCH'], ['SCRIPT', 'KILL', 'extra'], ['CONFIG', 'GET', 'maxmemory'], ['INFO', 'server'], ['CLIENT', 'ID'],
        ['NOSUCHCOMMAND'], ['GET'], ['AUTH', 'x'], ['WATCH', 'k'], ['UNWATCH'], ['MULTI'], ['GET', 'k'], ['EXEC'], ['DISCARD'],
        ['SHUTDOWN'], ['SHUTDOWN', 'ABORT'], ['SHUTDOWN', 'SAVE', 'NOSAVE'], ['SHUTDOWN', 'BOGUS'],
      ];
      for (const argv of whileBusy) out.push(`${argv.join(' ')} → ${text(await b.raw(argv, 20_000))}`);
      out.push(`SCRIPT KILL → ${text(await b.raw(['SCRIPT', 'KILL'], 20_000))}`);
      out.push(`caller → ${text(await a.nextRaw(20_000))}`);
      out.push(`caller → ${text(await a.nextRaw(20_000))}`);
      for (const argv of [['PING'], ['SCRIPT', 'KILL'], ['SET', 'k', 'v'], ['GET', 'k'], ['EVAL', "return redis.call('get', 'k')", '0']]) out.push(`after: ${argv.join(' ')} → ${text(await b.raw(argv))}`);
      return out;
    }));
    const [redis, node] = seen as [string[], string[]];
    expect(node).toEqual(redis);
    // what the comparison covered, so a server that answered something else on both would show
    expect(redis).toContain(`PING → ${BUSY}`);
    expect(redis).toContain('SCRIPT KILL → +OK\r\n');
    expect(redis.find((l) => l.startsWith('caller → -ERR'))).toMatch(/Script killed by user with SCRIPT KILL/);
    expect(redis).toContain('caller → $5\r\nafter\r\n');
  }, 90_000);

  it('once it wrote: SCRIPT KILL answers UNKILLABLE, SHUTDOWN is refused, SHUTDOWN NOSAVE ends the process, and the partial write is not in the AOF', async () => {
    const dirs = { redis: tmpDir(), node: tmpDir() };
    const sides = await startBoth({ redis: ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dirs.redis], node: ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dirs.node] });
    const seen = await Promise.all(sides.map(async ({ name, proc }) => {
      const [a, b] = await Promise.all([connect(proc.port), connect(proc.port)]);
      const out: string[] = [];
      for (const argv of [['CONFIG', 'SET', 'busy-reply-threshold', THRESHOLD], ['SET', 'before', '1']]) out.push(text(await b.raw(argv)));
      a.sendRaw(Buffer.concat([encodeCommand(['EVAL', `redis.call('set', KEYS[1], 'partial') ${LOOP}`, '1', 'k']), encodeCommand(['GET', 'k'])]));
      await untilBusy(b);
      for (const argv of [['SCRIPT', 'KILL'], ['SHUTDOWN'], ['SHUTDOWN', 'SAVE'], ['GET', 'k']]) out.push(`${argv.join(' ')} → ${text(await b.raw(argv, 20_000))}`);
      b.send(['SHUTDOWN', 'NOSAVE']);
      const code = await exited(proc, 20_000);
      out.push(`exit code ${code}`);
      // no reply to the script's caller nor to SHUTDOWN: both connections just close
      await until('connections closed', () => a.closed && b.closed, 10_000);
      const again = name === 'redis'
        ? await startRedis(['--appendonly', 'yes', '--dir', dirs.redis])
        : await startShardgate(['node', '--port', String(proc.port), '--loglevel', 'warn', '--appendonly', 'yes', '--dir', dirs.node], proc.port);
      procs.push(again);
      const c = await connect(again.port);
      for (const argv of [['GET', 'before'], ['GET', 'k']]) out.push(`restarted: ${argv.join(' ')} → ${text(await c.raw(argv))}`);
      return out;
    }));
    const [redis, node] = seen as [string[], string[]];
    expect(node).toEqual(redis);
    expect(redis[2]).toMatch(/^SCRIPT KILL → -UNKILLABLE Sorry the script already executed write commands/);
    expect(redis).toContain(`SHUTDOWN → ${BUSY}`);
    expect(redis).toContain('restarted: GET before → $1\r\n1\r\n');
    expect(redis).toContain('restarted: GET k → $-1\r\n');
  }, 90_000);

  it('a script that ends by itself: its caller\'s pipelined commands come after it in order, a blocked client is served after it, and a replica keeps its link', async () => {
    const sides = await startBoth();
    const seen = await Promise.all(sides.map(async ({ name, proc }) => {
      const replica = await startReplica(name, proc.port);
      const [a, b, blocked, r] = await Promise.all([connect(proc.port), connect(proc.port), connect(proc.port), connect(replica.port)]);
      const out: string[] = [];
      out.push(text(await b.raw(['CONFIG', 'SET', 'busy-reply-threshold', THRESHOLD])));
      await until('replica linked', async () => /master_link_status:up/.test(text(await r.raw(['INFO', 'replication']))), 20_000, 50);
      blocked.send(['BLPOP', 'q', '0']);
      // a second blocked client whose timeout falls inside the script: answered (nil) only after it
      const timed = await connect(proc.port);
      await until('two clients blocked', async () => /blocked_clients:1/.test(text(await b.raw(['INFO', 'clients']))), 10_000);
      timed.send(['BLPOP', 'other', '0.5']);
      await until('two clients blocked', async () => /blocked_clients:2/.test(text(await b.raw(['INFO', 'clients']))), 10_000);
      a.sendRaw(Buffer.concat([
        encodeCommand(['SET', 'n', '1']), encodeCommand(['EVAL', WRITE_THEN_RUN, '2', 'q', 'n']), encodeCommand(['INCR', 'n']), encodeCommand(['GET', 'n']),
      ]));
      const t0 = Date.now();
      await untilBusy(b);
      const replies: string[] = [];
      for (let i = 0; i < 4; i++) replies.push(text(await a.nextRaw(20_000)));
      const scriptMs = Date.now() - t0;
      out.push(...replies.map((x) => `caller → ${x}`));
      out.push(`blocked → ${text(await blocked.nextRaw(10_000))}`);
      out.push(`timed out → ${text(await timed.nextRaw(10_000))}`);
      // the replica got the script's writes and still has its link (no full resync needed for later writes)
      out.push(text(await b.raw(['SET', 'later', 'x'])));
      await until('replica has the writes', async () => text(await r.raw(['GET', 'later'])) === '$1\r\nx\r\n', 20_000, 50);
      for (const argv of [['GET', 'n'], ['LLEN', 'q']]) out.push(`replica: ${argv.join(' ')} → ${text(await r.raw(argv))}`);
      out.push(/master_link_status:up/.test(text(await r.raw(['INFO', 'replication']))) ? 'link up' : 'link down');
      return { out, scriptMs };
    }));
    const [redis, node] = seen;
    expect(node!.out).toEqual(redis!.out);
    expect(redis!.out).toContain('caller → $4\r\ndone\r\n');
    expect(redis!.out).toContain('timed out → *-1\r\n');
    expect(redis!.out).toContain('link up');
    // the script ran its ~1 s; the 0.5 s timeout could not cut into it
    expect(node!.scriptMs).toBeGreaterThan(800);
  }, 120_000);

  it('a busy script inside MULTI … EXEC: others get BUSY meanwhile, the replies of EXEC and the data after it as on redis-server', async () => {
    const sides = await startBoth();
    const seen = await Promise.all(sides.map(async ({ proc }) => {
      const [a, b] = await Promise.all([connect(proc.port), connect(proc.port)]);
      const out: string[] = [text(await b.raw(['CONFIG', 'SET', 'busy-reply-threshold', THRESHOLD]))];
      a.sendRaw(Buffer.concat([['MULTI'], ['INCR', 'n'], ['EVAL', WRITE_THEN_RUN, '2', 'q', 'n'], ['INCR', 'n'], ['EXEC'], ['GET', 'n']].map((c) => encodeCommand(c))));
      await untilBusy(b);
      for (let i = 0; i < 6; i++) out.push(`caller → ${text(await a.nextRaw(20_000))}`);
      for (const argv of [['GET', 'n'], ['LRANGE', 'q', '0', '-1']]) out.push(`after: ${argv.join(' ')} → ${text(await b.raw(argv))}`);
      return out;
    }));
    const [redis, node] = seen as [string[], string[]];
    expect(node).toEqual(redis);
    expect(redis).toContain('caller → *3\r\n:1\r\n$4\r\ndone\r\n:3\r\n');
  }, 90_000);

  it('a busy script on a replica: the master\'s stream waits for its end (the script reads a fixed value), then applies, and the link stays up', async () => {
    const sides = await startBoth();
    const READ_AND_RUN = "local a = redis.call('get', KEYS[1]) " + spinLua(1_000_000)
      + 'return {a or false, redis.call(\'get\', KEYS[1]) or false}';
    const seen = await Promise.all(sides.map(async ({ name, proc }) => {
      const replica = await startReplica(name, proc.port);
      const [m, r, rb] = await Promise.all([connect(proc.port), connect(replica.port), connect(replica.port)]);
      const out: string[] = [text(await rb.raw(['CONFIG', 'SET', 'busy-reply-threshold', THRESHOLD]))];
      await m.raw(['SET', 'w', '0']);
      await until('replica has w', async () => text(await rb.raw(['GET', 'w'])) === '$1\r\n0\r\n', 20_000, 50);
      r.send(['EVAL_RO', READ_AND_RUN, '1', 'w']);
      await untilBusy(rb);
      // writes on the master while the replica is busy
      let last = 0;
      for (let i = 1; i <= 20; i++) { await m.raw(['SET', 'w', String(i)]); last = i; }
      const got = text(await r.nextRaw(20_000));
      out.push(`script saw one value: ${got === '*2\r\n$1\r\n0\r\n$1\r\n0\r\n'}`);
      await until('replica caught up', async () => text(await rb.raw(['GET', 'w'])) === `$${String(last).length}\r\n${last}\r\n`, 20_000, 50);
      out.push(/master_link_status:up/.test(text(await rb.raw(['INFO', 'replication']))) ? 'link up' : 'link down');
      return out;
    }));
    const [redis, node] = seen as [string[], string[]];
    expect(node).toEqual(redis);
    expect(redis).toEqual(['+OK\r\n', 'script saw one value: true', 'link up']);
  }, 90_000);

  it('no key expires in the middle of a busy script (keys are judged at its start), and expiry goes on after it', async () => {
    const sides = await startBoth();
    const READ_TWICE = "local a = redis.call('get', KEYS[1]) " + spinLua(1_000_000)
      + 'return {a or false, redis.call(\'get\', KEYS[1]) or false, redis.call(\'exists\', KEYS[1])}';
    const seen = await Promise.all(sides.map(async ({ proc }) => {
      const [a, b] = await Promise.all([connect(proc.port), connect(proc.port)]);
      const out: string[] = [text(await b.raw(['CONFIG', 'SET', 'busy-reply-threshold', THRESHOLD]))];
      out.push(text(await a.raw(['SET', 'ex', 'v', 'PX', '400'])));
      a.send(['EVAL', READ_TWICE, '1', 'ex']);
      await untilBusy(b);
      out.push(`script → ${text(await a.nextRaw(20_000))}`);
      await until('ex expired', async () => text(await b.raw(['EXISTS', 'ex'])) === ':0\r\n', 10_000, 50);
      out.push(`after → ${text(await b.raw(['GET', 'ex']))}`);
      return out;
    }));
    const [redis, node] = seen as [string[], string[]];
    expect(node).toEqual(redis);
    expect(redis).toContain('script → *3\r\n$1\r\nv\r\n$1\r\nv\r\n:1\r\n');
  }, 90_000);
});
