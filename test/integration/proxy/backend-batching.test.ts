// Backend write batching: what is handed to a backend connection in one
// event-loop turn and the next leaves in one write, and no request waits for
// another's reply. A real redis-server behind a relay that records every chunk
// the connection wrote (one chunk per write: the relay reads in the poll phase
// between two turns' writes).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import { startRedis, type Proc } from '../../fixtures/procs.js';
import { until } from '../../fixtures/until.js';
import { CounterStore } from '../../../src/topology/counters.js';
import { BackendConn, type BackendOwner } from '../../../src/proxy/backend.js';
import { Req, type ReplyTarget } from '../../../src/proxy/request.js';
import { encodeCommand } from '../../../src/resp/encode.js';

let redis: Proc;
let relay: net.Server;
let relayPort: number;
/** what the backend connection wrote, chunk by chunk */
const chunks: string[] = [];
/** failures the connection reported to its owner (none expected) */
const failures: string[] = [];
const conns: BackendConn[] = [];
const relayed = new Set<net.Socket>();

beforeAll(async () => {
  redis = await startRedis();
  relay = net.createServer((inbound) => {
    const outbound = net.connect(redis.port, '127.0.0.1');
    relayed.add(inbound).add(outbound);
    inbound.on('data', (d) => { chunks.push(d.toString('latin1')); outbound.write(d); });
    outbound.pipe(inbound);
    inbound.on('close', () => outbound.destroy());
    outbound.on('close', () => inbound.destroy());
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  relayPort = (relay.address() as net.AddressInfo).port;
});
afterEach(() => {
  redis.resume();
  for (const c of conns.splice(0)) c.close();
});
afterAll(async () => {
  for (const s of relayed) s.destroy();
  await new Promise((resolve) => relay.close(resolve));
  await redis.stop();
});

/** A backend connection through the relay, connected; `send` resolves with the raw reply. */
async function connect(): Promise<{ conn: BackendConn; send: (...args: string[]) => Promise<string> }> {
  let connected!: () => void;
  const up = new Promise<void>((resolve) => { connected = resolve; });
  const owner: BackendOwner = {
    onBackendFailure: (_c, kind, reason) => { failures.push(`${kind}: ${reason}`); },
    onBackendReply: () => {},
    onBackendNotServing: () => {},
    onBackendConnected: () => connected(),
    onBackendClosed: () => {},
  };
  const conn = new BackendConn({ host: '127.0.0.1', port: relayPort, path: null, label: 'relay' },
    { auth: null, authUser: null, db: 0, keepalive: false, timeout: null, protocol: 2, tls: null }, owner, new CounterStore().server('test', 'relay'));
  conns.push(conn);
  conn.connect();
  await up;
  const send = (...args: string[]): Promise<string> => new Promise((resolve) => {
    const target: ReplyTarget = { complete: (_r, buf, start, end) => resolve(buf.toString('latin1', start, end)) };
    const bytes = encodeCommand(args);
    conn.send(new Req(target), bytes, 0, bytes.length);
  });
  return { conn, send };
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const wire = (...args: string[]): string => encodeCommand(args).toString('latin1');

describe('backend write batching', () => {
  it('writes what two consecutive turns handed over in one write, and what comes later in the next', async () => {
    const { conn, send } = await connect();
    chunks.length = 0;
    const a = send('SET', 'bt:a', '1');
    // Runs in this turn's check phase, after the connection scheduled its flush.
    let b!: Promise<string>;
    setImmediate(() => { b = send('SET', 'bt:b', '2'); });
    await until('the first write', () => chunks.length > 0, 3000);
    await turn();
    await turn();
    expect(chunks).toEqual([wire('SET', 'bt:a', '1') + wire('SET', 'bt:b', '2')]);
    expect(await a).toBe('+OK\r\n');
    expect(await b).toBe('+OK\r\n');
    // After the replies: a new request goes in a write of its own.
    expect(await send('GET', 'bt:b')).toBe('$1\r\n2\r\n');
    expect(chunks).toEqual([wire('SET', 'bt:a', '1') + wire('SET', 'bt:b', '2'), wire('GET', 'bt:b')]);
    expect(conn.inflight).toBe(0);
    expect(failures).toEqual([]);
  });

  it('writes a request while earlier ones still await their replies, and answers in order', async () => {
    const { conn, send } = await connect();
    chunks.length = 0;
    redis.pause();
    try {
      const first = send('SET', 'bt:h', 'a');
      await until('the SET written', () => chunks.length === 1, 3000);
      const next = send('GET', 'bt:h');
      // The server is frozen: the GET goes out anyway, it does not wait for the SET's reply.
      await until('the GET written', () => chunks.length === 2, 3000);
      expect(chunks[1]).toBe(wire('GET', 'bt:h'));
      expect(conn.inflight).toBe(2);
      expect(conn.unsent).toBe(0);
      redis.resume();
      expect(await first).toBe('+OK\r\n');
      expect(await next).toBe('$1\r\na\r\n');
      expect(failures).toEqual([]);
    } finally {
      redis.resume();
    }
  });
});
