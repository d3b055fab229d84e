// GET /events over real loopback HTTP: live delivery, exact resume with
// Last-Event-ID and ?since=, the gap event, type filters, heartbeats, and the
// stream's lifetime (client gone -> unsubscribed; slow client dropped; server
// close ends it).
import { afterEach, describe, expect, it } from 'vitest';
import http from 'node:http';
import net from 'node:net';
import { pino } from 'pino';
import { startAdminServer, eventStreamRoute, type AdminServer, type EventStreamOptions } from '../../../src/admin/index.js';
import { SseReader, type SseMessage } from '../../../src/admin/sse-parse.js';
import { EventBus } from '../../../src/events/bus.js';
import { until } from '../../fixtures/until.js';

const log = pino({ level: 'silent' });
let server: AdminServer | null = null;
afterEach(async () => { await server?.close(); server = null; });

async function serve(bus: EventBus, opts: EventStreamOptions = {}): Promise<string> {
  server = await startAdminServer({ listen: '127.0.0.1:0', token: null, authReads: false, routes: [eventStreamRoute(bus, opts)], log });
  return server.address;
}

interface Stream {
  status: number;
  headers: http.IncomingHttpHeaders;
  messages: SseMessage[];
  raw(): string;
  ended: Promise<void>;
  close(): void;
}

function open(address: string, pathAndQuery = '/events', headers: Record<string, string> = {}): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const req = http.get(`http://${address}${pathAndQuery}`, { headers, agent: false }, (res) => {
      const messages: SseMessage[] = [];
      let raw = '';
      const reader = new SseReader((m) => messages.push(m));
      res.setEncoding('utf8');
      res.on('data', (t: string) => { raw += t; reader.push(t); });
      const ended = new Promise<void>((done) => { res.once('end', done); res.once('close', done); });
      resolve({ status: res.statusCode ?? 0, headers: res.headers, messages, raw: () => raw, ended, close: () => req.destroy() });
    });
    req.on('error', reject);
  });
}

/** A bus, a server on it, and one stream already subscribed. */
async function subscribedStream(): Promise<{ bus: EventBus; address: string; s: Stream }> {
  const bus = new EventBus();
  const address = await serve(bus);
  const s = await open(address);
  await until('subscribed', () => bus.subscriberCount === 1);
  return { bus, address, s };
}

function nodeDown(bus: EventBus, server: string) {
  return bus.publish({ type: 'node_down', pool: 'cache', server, address: '127.0.0.1:1', reason: 'timeout' });
}

describe('GET /events', () => {
  it('sends live events as id/event/data frames with SSE headers', async () => {
    const { bus, s } = await subscribedStream();
    expect(s.status).toBe(200);
    expect(s.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(s.headers['cache-control']).toBe('no-cache');
    const e = nodeDown(bus, 's1');
    await until('one message', () => s.messages.length === 1);
    expect(s.raw()).toContain(`id: ${e.id}\nevent: node_down\ndata: ${JSON.stringify(e)}\n\n`);
    expect(s.messages[0]).toEqual({ id: String(e.id), event: 'node_down', data: JSON.stringify(e) });
    s.close();
  });

  it('resuming with Last-Event-ID gets exactly the missed events, then live ones', async () => {
    const { bus, address, s: first } = await subscribedStream();
    for (let i = 0; i < 3; i++) nodeDown(bus, `s${i}`);
    await until('three', () => first.messages.length === 3);
    first.close();
    await until('unsubscribed', () => bus.subscriberCount === 0);
    const lastSeen = first.messages.at(-1)!.id!;
    const missed = [nodeDown(bus, 'm1'), bus.publish({ type: 'pool_removed', pool: 'x' })];
    const again = await open(address, '/events', { 'last-event-id': lastSeen });
    await until('replayed', () => again.messages.length === 2);
    const live = nodeDown(bus, 'live');
    await until('live', () => again.messages.length === 3);
    expect(again.messages.map((m) => Number(m.id))).toEqual([...missed, live].map((e) => e.id));
    expect(again.messages.map((m) => JSON.parse(m.data))).toEqual([...missed, live]);
    expect(again.messages.some((m) => m.event === 'gap')).toBe(false);
    again.close();
  });

  it('?since= resumes too, and Last-Event-ID wins over it', async () => {
    const bus = new EventBus();
    for (let i = 0; i < 5; i++) nodeDown(bus, `s${i}`);
    const address = await serve(bus);
    const q = await open(address, '/events?since=3');
    await until('two', () => q.messages.length === 2);
    expect(q.messages.map((m) => m.id)).toEqual(['4', '5']);
    const both = await open(address, '/events?since=1', { 'last-event-id': '4' });
    await until('one', () => both.messages.length === 1);
    expect(both.messages.map((m) => m.id)).toEqual(['5']);
    q.close();
    both.close();
  });

  it('sends a gap event first when the ring no longer holds what was missed', async () => {
    const bus = new EventBus({ capacity: 3 });
    for (let i = 0; i < 10; i++) nodeDown(bus, `s${i}`); // holds 8..10
    const address = await serve(bus);
    const s = await open(address, '/events', { 'last-event-id': '2' });
    await until('gap and three', () => s.messages.length === 4);
    expect(s.messages[0]!.event).toBe('gap');
    expect(s.messages[0]!.id).toBeUndefined(); // does not move the client's last id
    expect(JSON.parse(s.messages[0]!.data)).toEqual({ after_id: 2, lost: 5, oldest_id: 8 });
    expect(s.messages.slice(1).map((m) => m.id)).toEqual(['8', '9', '10']);
    s.close();
  });

  it('an id from an earlier run gets a gap (lost unknown) and everything held', async () => {
    const bus = new EventBus();
    nodeDown(bus, 'a');
    const address = await serve(bus);
    const s = await open(address, '/events?since=900');
    await until('gap and one', () => s.messages.length === 2);
    expect(JSON.parse(s.messages[0]!.data)).toEqual({ after_id: 900, lost: null, oldest_id: 1, reason: 'unknown_id' });
    expect(s.messages[1]!.id).toBe('1');
    s.close();
  });

  it('?types= filters replay and live events; an unknown type is a 400', async () => {
    const bus = new EventBus();
    nodeDown(bus, 'a');
    bus.publish({ type: 'migration_started', pool: 'cache', mode: 'background', ring_version: 2 });
    const address = await serve(bus);
    const s = await open(address, '/events?since=0&types=migration_started,migration_done');
    await until('replayed', () => s.messages.length === 1);
    nodeDown(bus, 'b');
    bus.publish({ type: 'migration_done', pool: 'cache', moved: 5, errors: 0, ms: 10 });
    await until('live', () => s.messages.length === 2);
    expect(s.messages.map((m) => m.event)).toEqual(['migration_started', 'migration_done']);
    s.close();
    const bad = await fetch(`http://${address}/events?types=migration_done,nope`);
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toMatchObject({ code: 'bad_request' });
    const badId = await fetch(`http://${address}/events`, { headers: { 'last-event-id': 'abc' } });
    expect(badId.status).toBe(400);
  });

  it('sends a comment heartbeat', async () => {
    const bus = new EventBus();
    const address = await serve(bus, { heartbeatMs: 30 });
    const s = await open(address);
    await until('two pings', () => s.raw().split(': ping\n\n').length > 2, 3000);
    expect(s.messages).toEqual([]); // comments are not messages
    s.close();
  });

  it('a client that disconnects is unsubscribed from the bus', async () => {
    const bus = new EventBus();
    const address = await serve(bus);
    const a = await open(address);
    const b = await open(address);
    await until('two subscribers', () => bus.subscriberCount === 2);
    a.close();
    await until('one subscriber', () => bus.subscriberCount === 1);
    b.close();
    await until('none', () => bus.subscriberCount === 0);
  });

  it('a client that stops reading is dropped once its unsent bytes pass the limit; a reading client is not', async () => {
    const bus = new EventBus();
    const address = await serve(bus, { maxBufferedBytes: 256 * 1024 });
    const reader = await open(address);
    const [host, port] = address.split(':');
    const sock = net.connect(Number(port), host);
    await new Promise<void>((r) => sock.once('connect', () => r()));
    sock.write('GET /events HTTP/1.1\r\nhost: x\r\n\r\n');
    await until('subscribed', () => bus.subscriberCount === 2);
    sock.pause(); // the kernel buffers fill, then the server's
    const big = 'x'.repeat(8 * 1024);
    let published = 0;
    while (bus.subscriberCount > 1 && published < 5000) {
      bus.publish({ type: 'node_down', pool: 'cache', server: 's', address: 'a', reason: big });
      published++;
      if (published % 10 === 0) await new Promise((r) => setTimeout(r, 2)); // bursts of 80 KB, under the limit
    }
    expect(published).toBeLessThan(5000);
    expect(bus.subscriberCount).toBe(1); // the reading client stays
    await until('the reader got every event', () => reader.messages.length === published);
    reader.close();
    sock.destroy();
  });

  it('close() ends open streams and resolves', async () => {
    const { bus, s } = await subscribedStream();
    const t0 = Date.now();
    await server!.close();
    server = null;
    await s.ended;
    expect(Date.now() - t0).toBeLessThan(900); // ended, not cut by the close grace timer
    expect(bus.subscriberCount).toBe(0);
  });

  it('HEAD answers the stream headers and ends', async () => {
    const bus = new EventBus();
    const address = await serve(bus);
    const res = await fetch(`http://${address}/events`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(bus.subscriberCount).toBe(0);
  });
});
