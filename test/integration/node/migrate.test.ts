// MIGRATE between real `shardgate node` processes, with the same cases run
// between two real redis-servers in the same test: the reply texts must match
// (OK, NOKEY, BUSYKEY from the target, NOAUTH/WRONGPASS, IOERR writing/reading,
// syntax errors). Also: values and TTLs arrive (±50 ms), COPY/REPLACE/KEYS,
// a stale cached target connection is retried, the migrated keys are gone from
// a replica and from the AOF, and other clients' commands wait while a MIGRATE
// is in flight (atomicity). Needs the built CLI (npm run build).
import { afterEach, describe, expect, it } from 'vitest';
import { startRedis, startShardgate, tmpDir, type Proc } from '../../fixtures/procs.js';
import { freePort } from '../../fixtures/ports.js';
import { RespClient, command, pipeline, type Reply } from '../../fixtures/resp-client.js';
import { until } from '../../fixtures/until.js';

type Kind = 'node' | 'redis';
interface Server { kind: Kind; port: number; proc: Proc }

const procs: Proc[] = [];
afterEach(async () => { for (const p of procs.splice(0)) await p.stop('SIGKILL'); });

async function start(kind: Kind, o: { password?: string; extra?: string[]; port?: number; dir?: string } = {}): Promise<Server> {
  const pass = o.password === undefined ? [] : ['--requirepass', o.password];
  let proc: Proc;
  if (kind === 'redis') proc = await startRedis([...pass, ...(o.extra ?? [])]);
  else {
    const port = o.port ?? await freePort();
    proc = await startShardgate(['node', '--port', String(port), '--dir', o.dir ?? tmpDir(), '--loglevel', 'warn', ...pass, ...(o.extra ?? [])], port);
  }
  procs.push(proc);
  return { kind, port: proc.port, proc };
}

const text = (r: Reply): string => (r instanceof Error ? `-${r.message}` : Buffer.isBuffer(r) ? r.toString('latin1') : Array.isArray(r) ? `[${r.map(text).join(',')}]` : String(r));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const migrate = (src: Server, dst: Server, ...rest: string[]): Promise<Reply> => command(src.port, 'MIGRATE', '127.0.0.1', String(dst.port), ...rest);

/** Run `scenario` between two fresh servers of each kind; returns the transcripts [node, redis]. */
async function both(scenario: (src: Server, dst: Server) => Promise<string[]>, dstPassword?: string): Promise<[string[], string[]]> {
  const out: string[][] = [];
  for (const kind of ['node', 'redis'] as const) {
    const src = await start(kind);
    const dst = await start(kind, dstPassword === undefined ? {} : { password: dstPassword });
    out.push(await scenario(src, dst));
  }
  return [out[0]!, out[1]!];
}

describe('MIGRATE replies like redis-server', () => {
  it('one key: OK, gone from the source, value and TTL (±50 ms) on the target; NOKEY when nothing exists', async () => {
    const [n, r] = await both(async (src, dst) => {
      await command(src.port, 'SET', 'k', 'value', 'PX', '100000');
      // the expiry instant is kept: the relative TTL sent loses only the transit time to the target
      const before = Number(await command(src.port, 'PEXPIRETIME', 'k'));
      const rep = text(await migrate(src, dst, 'k', '0', '1000'));
      const after = Number(await command(dst.port, 'PEXPIRETIME', 'k'));
      expect(Math.abs(after - before)).toBeLessThanOrEqual(50);
      return [rep, text(await command(src.port, 'EXISTS', 'k')), text(await command(dst.port, 'GET', 'k')),
        text(await migrate(src, dst, 'k', '0', '1000')), text(await migrate(src, dst, '', '0', '1000', 'KEYS', 'a', 'b'))];
    });
    expect(n).toEqual(['OK', '0', 'value', 'NOKEY', 'NOKEY']);
    expect(n).toEqual(r);
  });

  it('KEYS moves many keys of every type; missing keys are skipped; keys without TTL stay without', async () => {
    const [n, r] = await both(async (src, dst) => {
      const cmds: string[][] = [];
      const keys: string[] = [];
      for (let i = 0; i < 150; i++) { cmds.push(['SET', `s${i}`, `v${i}`]); keys.push(`s${i}`); }
      cmds.push(['RPUSH', 'list', 'a', 'b', 'c'], ['HSET', 'hash', 'f', '1', 'g', '2'], ['ZADD', 'zset', '1.5', 'm', '-2', 'n'], ['SET', 'ttl', 'x', 'EX', '100']);
      keys.push('list', 'hash', 'zset', 'ttl', 'missing');
      await pipeline(src.port, cmds);
      const rep = text(await migrate(src, dst, '', '0', '2000', 'KEYS', ...keys));
      const check = await pipeline(dst.port, [['DBSIZE'], ['GET', 's77'], ['LRANGE', 'list', '0', '-1'], ['HGETALL', 'hash'], ['ZRANGE', 'zset', '0', '-1', 'WITHSCORES'], ['TTL', 'ttl'], ['TTL', 's1']]);
      return [rep, text(await command(src.port, 'DBSIZE')), ...check.map(text)];
    });
    expect(n[0]).toBe('OK');
    expect(n[1]).toBe('0');
    expect(n[2]).toBe('154');
    expect(n).toEqual(r);
  });

  it('BUSYKEY without REPLACE keeps the source key; a partly failing KEYS deletes only the acknowledged keys; REPLACE and COPY', async () => {
    const [n, r] = await both(async (src, dst) => {
      await pipeline(src.port, [['SET', 'k', 'new'], ['SET', 'j', 'moved']]);
      await command(dst.port, 'SET', 'k', 'old');
      const out = [
        text(await migrate(src, dst, '', '0', '1000', 'KEYS', 'j', 'k')),
        text(await command(src.port, 'GET', 'k')), text(await command(src.port, 'EXISTS', 'j')), text(await command(dst.port, 'GET', 'j')), text(await command(dst.port, 'GET', 'k')),
        text(await migrate(src, dst, 'k', '0', '1000', 'COPY', 'REPLACE')),
        text(await command(src.port, 'GET', 'k')), text(await command(dst.port, 'GET', 'k')),
        text(await migrate(src, dst, 'k', '0', '1000', 'COPY')),
        text(await command(src.port, 'SET', 'k', 'newer')),
        text(await migrate(src, dst, 'k', '0', '1000', 'REPLACE')),
        text(await command(src.port, 'EXISTS', 'k')), text(await command(dst.port, 'GET', 'k')),
      ];
      return out;
    });
    expect(n[0]).toBe('-ERR Target instance replied with error: BUSYKEY Target key name already exists.');
    expect(n.slice(1, 5)).toEqual(['new', '0', 'moved', 'old']);
    expect(n.slice(5, 8)).toEqual(['OK', 'new', 'new']);
    expect(n).toEqual(r);
  });

  it('AUTH and AUTH2 to a target with a password (NOAUTH, WRONGPASS, then OK)', async () => {
    const [n, r] = await both(async (src, dst) => {
      await pipeline(src.port, [['SET', 'a', '1'], ['SET', 'b', '2']]);
      return [
        text(await migrate(src, dst, 'a', '0', '1000')),
        text(await migrate(src, dst, 'a', '0', '1000', 'AUTH', 'wrong')),
        text(await migrate(src, dst, 'a', '0', '1000', 'AUTH', 'sekret')),
        text(await migrate(src, dst, 'b', '0', '1000', 'AUTH2', 'default', 'sekret')),
        text(await command(src.port, 'DBSIZE')),
        text((await pipeline(dst.port, [['AUTH', 'sekret'], ['MGET', 'a', 'b']]))[1]!),
      ];
    }, 'sekret');
    expect(n).toEqual([
      '-ERR Target instance replied with error: NOAUTH Authentication required.',
      '-ERR Target instance replied with error: WRONGPASS invalid username-password pair or user is disabled.',
      'OK', 'OK', '0', '[1,2]',
    ]);
    expect(n).toEqual(r);
  });

  it('bad arguments get the same errors', async () => {
    const [n, r] = await both(async (src, dst) => {
      await command(src.port, 'SET', 'k', 'v');
      const cases = [['k', 'x', '100'], ['k', '0', 'x'], ['k', '0', '100', 'BOGUS'], ['k', '0', '100', 'AUTH'], ['k', '0', '100', 'AUTH2', 'u'], ['k', '0', '100', 'KEYS', 'k'], ['k', '0']];
      const out: string[] = [];
      for (const c of cases) out.push(text(await migrate(src, dst, ...c)));
      out.push(text(await migrate(src, dst, 'k', '16', '1000')));
      out.push(text(await command(src.port, 'EXISTS', 'k')));
      return out;
    });
    expect(n).toEqual(r);
    expect(n.at(-2)).toMatch(/^-ERR Target instance replied with error: ERR DB index is out of range/);
  });
});

describe('MIGRATE I/O failures', () => {
  it('a closed port answers IOERR writing at once; a SIGSTOPped target IOERR reading after the timeout; the key stays', async () => {
    const closed = await freePort();
    const [n, r] = await both(async (src, dst) => {
      await command(src.port, 'SET', 'k', 'v');
      const t0 = Date.now();
      const refused = text(await command(src.port, 'MIGRATE', '127.0.0.1', String(closed), 'k', '0', '1000'));
      expect(Date.now() - t0).toBeLessThan(500);
      dst.proc.pause();
      const t1 = Date.now();
      const stalled = text(await migrate(src, dst, 'k', '0', '400'));
      const took = Date.now() - t1;
      dst.proc.resume();
      expect(took).toBeGreaterThanOrEqual(380);
      expect(took).toBeLessThan(1200);
      return [refused, stalled, text(await command(src.port, 'GET', 'k'))];
    });
    expect(n).toEqual(['-IOERR error or timeout writing to target instance', '-IOERR error or timeout reading to target instance', 'v']);
    expect(n).toEqual(r);
  });

  it('an unresolvable host answers IOERR connecting (node; redis-server says the same)', async () => {
    const [n, r] = await both(async (src) => {
      await command(src.port, 'SET', 'k', 'v');
      return [text(await command(src.port, 'MIGRATE', 'no-such-host.invalid', '6379', 'k', '0', '1000'))];
    });
    expect(n).toEqual(['-IOERR error or timeout connecting to the client']);
    expect(n).toEqual(r);
  });

  it('a cached connection to a target that restarted is retried on a fresh one', async () => {
    const src = await start('node');
    const port = await freePort();
    let dst = await start('node', { port });
    await pipeline(src.port, [['SET', 'a', '1'], ['SET', 'b', '2']]);
    expect(text(await migrate(src, dst, 'a', '0', '1000'))).toBe('OK');
    await dst.proc.stop('SIGKILL');
    dst = await start('node', { port });
    expect(text(await migrate(src, dst, 'b', '0', '1000'))).toBe('OK');
    expect(text(await command(dst.port, 'GET', 'b'))).toBe('2');
  });
});

describe('MIGRATE is atomic towards other clients and propagated as DEL', () => {
  it('GET and DEL of another client wait for a MIGRATE in flight and then see the key gone (node and redis-server)', async () => {
    const [n, r] = await both(async (src, dst) => {
      await command(src.port, 'SET', 'k', 'v');
      const a = await RespClient.connect(src.port);
      const b = await RespClient.connect(src.port);
      dst.proc.pause();
      a.send(['MIGRATE', '127.0.0.1', String(dst.port), 'k', '0', '3000']);
      await sleep(50);
      const order: string[] = [];
      const bReplies = Promise.all([b.raw(['GET', 'k'], 5000), b.nextRaw(5000)]).then((x) => { order.push('b'); return x; });
      b.send(['DEL', 'k']);
      await sleep(400);
      const waited = order.length === 0;
      dst.proc.resume();
      const aReply = (await a.nextRaw(5000)).toString();
      order.push('a');
      const [get, del] = await bReplies;
      a.close(); b.close();
      return [String(waited), aReply, get.toString(), del.toString(), text(await command(dst.port, 'GET', 'k'))];
    });
    expect(n).toEqual(['true', '+OK\r\n', '$-1\r\n', ':0\r\n', 'v']);
    expect(n).toEqual(r);
  });

  it('a MIGRATE that times out releases the node: the waiting client then finds the key', async () => {
    const src = await start('node');
    const dst = await start('node');
    await command(src.port, 'SET', 'k', 'v');
    const a = await RespClient.connect(src.port);
    const b = await RespClient.connect(src.port);
    dst.proc.pause();
    a.send(['MIGRATE', '127.0.0.1', String(dst.port), 'k', '0', '300']);
    await sleep(50);
    const t0 = Date.now();
    const del = b.raw(['DEL', 'k'], 5000);
    expect((await a.nextRaw()).toString()).toBe('-IOERR error or timeout reading to target instance\r\n');
    expect((await del).toString()).toBe(':1\r\n');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(200);
    dst.proc.resume();
    a.close(); b.close();
  });

  it('a replica of the source loses the migrated keys, and so does the AOF after a restart', async () => {
    const dir = tmpDir();
    const srcPort = await freePort();
    const src = await start('node', { port: srcPort, dir, extra: ['--appendonly', 'yes', '--appendfsync', 'always'] });
    const replica = await start('node', { extra: ['--replicaof', `127.0.0.1 ${srcPort}`] });
    const dst = await start('node');
    await pipeline(src.port, [['SET', 'a', '1'], ['SET', 'b', '2'], ['SET', 'c', '3']]);
    await until('replica has the keys', async () => Number(await command(replica.port, 'DBSIZE')) === 3, 10_000);
    expect(text(await migrate(src, dst, '', '0', '1000', 'KEYS', 'a', 'b'))).toBe('OK');
    await until('replica dropped the migrated keys', async () => Number(await command(replica.port, 'DBSIZE')) === 1, 10_000);
    expect(text(await command(replica.port, 'GET', 'c'))).toBe('3');
    await src.proc.stop('SIGKILL');
    const again = await start('node', { port: srcPort, dir, extra: ['--appendonly', 'yes'] });
    expect((await pipeline(again.port, [['EXISTS', 'a', 'b'], ['GET', 'c']])).map(text)).toEqual(['0', '3']);
  });
});
