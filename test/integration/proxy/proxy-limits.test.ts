// nutcracker's `client_connections` (which nutcracker 0.5.0 parses and
// ignores) is enforced: past the limit a client gets Redis's
// "max number of clients reached" and is closed; a freed place is reused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, rawExchange, type Cluster } from '../../fixtures/cluster.js';
import { RespClient } from '../../fixtures/resp-client.js';
import { until } from '../../fixtures/until.js';

let cluster: Cluster;
beforeAll(async () => { cluster = await startCluster({ servers: 1, extra: ['client_connections: 2'] }); });
afterAll(async () => { await cluster?.stop(); });

describe('client_connections', () => {
  it('refuses the client past the limit with a RESP error, and takes one again once a place is free', async () => {
    const a = await RespClient.connect(cluster.port);
    const b = await RespClient.connect(cluster.port);
    expect(await a.call(['PING'])).toBe('PONG');
    expect(await b.call(['PING'])).toBe('PONG');
    const third = await rawExchange(cluster.port, '*1\r\n$4\r\nPING\r\n', 2000);
    expect(third.data).toBe('-ERR max number of clients reached\r\n');
    expect(third.closed).toBe(true);
    a.close();
    await until('a place is free', async () => (await rawExchange(cluster.port, '*1\r\n$4\r\nPING\r\n', 500)).data === '+PONG\r\n', 5000);
    b.close();
  });
});
