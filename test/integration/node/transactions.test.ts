// MULTI/EXEC/WATCH across clients and into the write stream (the one-connection
// replies are compared with redis-server in differential.test.ts): WATCH fails
// EXEC after another client's write, after the key expires, and after a
// MIGRATE moved it, on the node as on redis-server; EXEC runs atomically
// towards other clients; a replica applies a transaction; the AOF holds it as
// MULTI … EXEC and a file cut inside a transaction loads without any of it.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tmpDir } from '../../fixtures/procs.js';
import { RespClient, pipeline } from '../../fixtures/resp-client.js';
import { until } from '../../fixtures/until.js';
import { sideBySide, sleep } from './side-by-side.js';

const env = sideBySide();

/** WATCH on one connection, something else happens, then MULTI/SET/EXEC: the raw EXEC replies. */
async function watchCase(port: number, between: (other: RespClient) => Promise<void>): Promise<string> {
  await pipeline(port, [['FLUSHALL'], ['SET', 'w', '1'], ['SET', 'ttl', '1', 'PX', '500']]);
  const [a, b] = await Promise.all([RespClient.connect(port), RespClient.connect(port)]);
  try {
    await a.raw(['WATCH', 'w', 'ttl']);
    await between(b);
    await a.raw(['MULTI']);
    await a.raw(['SET', 'w', 'mine']);
    return (await a.raw(['EXEC'])).toString();
  } finally { a.close(); b.close(); }
}

describe('transactions', () => {
  it('WATCH fails EXEC after another client writes a watched key or one expires, as on redis-server', async () => {
    const cases: [string, (o: RespClient) => Promise<void>][] = [
      ['nothing', async () => {}],
      ['read only', async (o) => { await o.raw(['GET', 'w']); }],
      ['other key written', async (o) => { await o.raw(['SET', 'unwatched', 'x']); }],
      ['watched key written', async (o) => { await o.raw(['SET', 'w', 'theirs']); }],
      ['watched key deleted', async (o) => { await o.raw(['DEL', 'w']); }],
      ['watched key expired', async () => { await sleep(700); }],
      ['flushall', async (o) => { await o.raw(['FLUSHALL']); }],
    ];
    for (const [name, between] of cases) {
      const n = await watchCase(env.node.port, between);
      const r = await watchCase(env.redis.port, between);
      expect({ name, n }).toEqual({ name, n: r });
    }
    expect(await watchCase(env.node.port, async () => {})).toBe('*1\r\n+OK\r\n');
    expect(await watchCase(env.node.port, async (o) => { await o.raw(['SET', 'w', 'x']); })).toBe('*-1\r\n');
  });

  it('a MIGRATE of a watched key fails the EXEC', async () => {
    const target = await env.extraNode();
    const n = await watchCase(env.node.port, async (o) => { await o.raw(['MIGRATE', '127.0.0.1', String(target.port), 'w', '0', '1000']); });
    expect(n).toBe('*-1\r\n');
  });

  it('EXEC runs its commands with no other client in between', async () => {
    await pipeline(env.node.port, [['FLUSHALL']]);
    const [a, b] = await Promise.all([RespClient.connect(env.node.port), RespClient.connect(env.node.port)]);
    const cmds: string[][] = [['MULTI']];
    for (let i = 0; i < 2000; i++) cmds.push(['INCR', 'counter']);
    cmds.push(['GET', 'counter'], ['EXEC']);
    for (const c of cmds) a.send(c);
    for (let i = 0; i < 200; i++) b.send(['GET', 'counter']);
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) seen.add((await b.nextRaw()).toString());
    for (let i = 0; i < cmds.length - 1; i++) await a.nextRaw();
    const exec = (await a.nextRaw()).toString();
    a.close(); b.close();
    expect(exec.endsWith('$4\r\n2000\r\n')).toBe(true);
    // the other client saw the counter before the transaction or after it, never in between
    for (const v of seen) expect(['$-1\r\n', '$4\r\n2000\r\n']).toContain(v);
  });

  it('a replica applies a transaction; the AOF holds MULTI … EXEC; a file cut inside a transaction loads without it', async () => {
    const dir = tmpDir();
    const m = await env.extraNode({ dir, appendonly: true, appendfsync: 'always' });
    const replica = await env.extraNode({ replicaof: { host: '127.0.0.1', port: m.port } });
    await pipeline(m.port, [['SET', 'before', '1'], ['MULTI'], ['SET', 'a', '1'], ['INCR', 'a'], ['RPUSH', 'l', 'x'], ['GET', 'a'], ['EXEC']]);
    const read = async (port: number): Promise<string> => JSON.stringify((await pipeline(port, [['MGET', 'before', 'a'], ['LRANGE', 'l', '0', '-1']])).map((x) => (x as Buffer[]).map(String)));
    const want = await read(m.port);
    expect(JSON.parse(want)).toEqual([['1', '2'], ['x']]);
    await until('replica applied the transaction', async () => (await read(replica.port)) === want, 10_000);
    await m.close();
    const file = path.join(dir, 'appendonly.aof');
    const aof = fs.readFileSync(file).toString('latin1');
    const multiAt = aof.indexOf('*1\r\n$5\r\nMULTI\r\n');
    expect(multiAt).toBeGreaterThan(0);
    expect(aof.indexOf('*1\r\n$4\r\nEXEC\r\n')).toBeGreaterThan(multiAt);
    // cut the file right after the transaction's second command: nothing of it may load
    const cut = aof.indexOf('RPUSH', multiAt);
    fs.writeFileSync(file, Buffer.from(aof.slice(0, cut - 12), 'latin1'));
    const again = await env.extraNode({ dir, appendonly: true });
    const [before, rest] = await pipeline(again.port, [['GET', 'before'], ['EXISTS', 'a', 'l']]);
    expect([String(before), rest]).toEqual(['1', 0]);
    expect(fs.statSync(file).size).toBe(multiAt); // cut back to before MULTI: later appends cannot complete it
  });
});
