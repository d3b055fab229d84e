// read_from against real redis-servers, proved by the servers' own command
// counters (INFO commandstats): with `prefer-replica` GETs are served by the
// replica the heartbeats see in sync and SETs by the master; when the
// replica dies, GETs go back to the master. With `replica`, a dead replica
// makes reads fail with a clear error instead of reading the master.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../fixtures/ports.js';
import { startShardgate, tmpDir, type Proc } from '../../fixtures/procs.js';
import { command } from '../../fixtures/resp-client.js';
import { until } from '../../fixtures/until.js';
import { startMastersWithReplicas } from '../../fixtures/failover.js';

let nodes: Proc[] = [];
let proxy: Proc;
const ports = { prefer: 0, only: 0 };

async function calls(port: number, cmd: string): Promise<number> {
  const text = String(await command(port, 'INFO', 'commandstats'));
  return Number(new RegExp(`cmdstat_${cmd}:calls=(\\d+)`).exec(text)?.[1] ?? 0);
}

function pool(name: string, listen: number, master: number, replica: number, readFrom: string): string[] {
  return [
    `${name}:`, `  listen: 127.0.0.1:${listen}`, '  redis: true', '  timeout: 1000', '  servers:', `    - 127.0.0.1:${master}:1 ${name}-0`,
    '  shardgate:', '    replicas:', `      ${name}-0: [127.0.0.1:${replica}]`, '    sentinel:', '      heartbeat_ms: 200', '      down_after: 2', `    read_from: ${readFrom}`,
  ];
}

beforeAll(async () => {
  const { masters: m, replicas: r } = await startMastersWithReplicas(2);
  nodes = [...m, ...r];
  ports.prefer = await freePort();
  ports.only = await freePort();
  const conf = path.join(tmpDir('shardgate-reads-'), 'proxy.yaml');
  fs.writeFileSync(conf, [...pool('prefer', ports.prefer, m[0]!.port, r[0]!.port, 'prefer-replica'), ...pool('only', ports.only, m[1]!.port, r[1]!.port, 'replica'), ''].join('\n'));
  proxy = await startShardgate(['proxy', '-c', conf, '-s', '0'], ports.prefer);
});

afterAll(async () => {
  await proxy?.stop();
  await Promise.all(nodes.map((n) => n.stop()));
});

describe('read_from', () => {
  it('prefer-replica: reads on the in-sync replica, writes on the master; back to the master when the replica dies', async () => {
    const [master, , replica] = nodes as [Proc, Proc, Proc, Proc];
    expect(await command(ports.prefer, 'SET', 'rk', 'v1')).toBe('OK');
    await until('the replica serves reads', async () => {
      const before = await calls(replica.port, 'get');
      await command(ports.prefer, 'GET', 'rk');
      return (await calls(replica.port, 'get')) > before;
    }, 5000);
    const m0 = await calls(master.port, 'get');
    const r0 = await calls(replica.port, 'get');
    const ms0 = await calls(master.port, 'set');
    for (let i = 0; i < 50; i++) expect(await command(ports.prefer, 'GET', 'rk')).toEqual(Buffer.from('v1'));
    expect(await command(ports.prefer, 'SET', 'rk', 'v2')).toBe('OK');
    expect(await calls(replica.port, 'get') - r0).toBe(50);
    expect(await calls(master.port, 'get') - m0).toBe(0);
    expect(await calls(master.port, 'set') - ms0).toBe(1);
    await replica.stop('SIGKILL');
    await until('reads fall back to the master', async () => (await command(ports.prefer, 'GET', 'rk').catch(() => null)) instanceof Buffer
      && (await calls(master.port, 'get')) > m0, 5000);
    for (let i = 0; i < 20; i++) expect(await command(ports.prefer, 'GET', 'rk')).toEqual(Buffer.from('v2'));
  });

  it('replica: with its replica dead, a read is refused with a clear error, a write still succeeds', async () => {
    const [, master, , replica] = nodes as [Proc, Proc, Proc, Proc];
    expect(await command(ports.only, 'SET', 'ok', 'v')).toBe('OK');
    await until('the replica serves reads', async () => (await command(ports.only, 'GET', 'ok')) instanceof Buffer, 5000);
    await replica.stop('SIGKILL');
    await until('reads refused', async () => {
      const r = await command(ports.only, 'GET', 'ok');
      return r instanceof Error && /no replica of server 'only-0' is in sync/.test(r.message);
    }, 5000);
    expect(await command(ports.only, 'SET', 'ok', 'v2')).toBe('OK');
    expect(await command(master.port, 'GET', 'ok')).toEqual(Buffer.from('v2'));
  });
});
