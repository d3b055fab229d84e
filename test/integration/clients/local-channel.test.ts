// The proxy's own channels (`__shardgate__:…`): a source registered with
// setLocalChannel serves SUBSCRIBE there without any backend — started when
// the first client subscribes, stopped after the last leaves — the hook the
// proxy's event stream plugs into. In-process proxy (the registration is an
// in-process call) in front of a real redis-server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { Redis } from 'ioredis';
import { parseConfig } from '../../../src/config/index.js';
import { startInProcess } from '../../../src/proxy/workers.js';
import { setLocalChannel } from '../../../src/proxy/pubsub.js';
import { freePort } from '../../fixtures/ports.js';
import { startRedis, type Proc } from '../../fixtures/procs.js';
import { RespClient, decode } from '../../fixtures/resp-client.js';
import { until } from '../../fixtures/until.js';

let redis: Proc;
let port: number;
let stopAll: () => Promise<void>;
beforeAll(async () => {
  redis = await startRedis();
  port = await freePort();
  const text = `alpha:\n  listen: 127.0.0.1:${port}\n  redis: true\n  servers:\n   - 127.0.0.1:${redis.port}:1\nshardgate:\n  watch: false\n`;
  const { proxy, control } = await startInProcess({ config: parseConfig(text), text, log: pino({ level: 'silent' }), version: 'test', adminListen: null });
  stopAll = async () => { await control.close(); await proxy.close(); };
});
afterAll(async () => {
  await stopAll?.();
  await redis?.stop();
});

describe('__shardgate__: channels', () => {
  it('are served by the registered source, never by a backend, and the source stops after the last subscriber', async () => {
    let publish: ((p: string) => void) | null = null;
    let stops = 0;
    setLocalChannel('__shardgate__:test', { start(p) { publish = p; return () => { publish = null; stops++; }; } });
    const a = await RespClient.connect(port);
    const b = await RespClient.connect(port);
    await b.raw(['HELLO', '3']);
    expect(decode(await a.raw(['SUBSCRIBE', '__shardgate__:test']))).toEqual(['subscribe', '__shardgate__:test', 1]);
    expect((await b.raw(['SUBSCRIBE', '__shardgate__:test'])).toString()).toBe('>3\r\n$9\r\nsubscribe\r\n$18\r\n__shardgate__:test\r\n:1\r\n');
    expect(publish).not.toBeNull();
    publish!('{"type":"server_ejected"}');
    expect(decode(await a.nextRaw())).toEqual(['message', '__shardgate__:test', '{"type":"server_ejected"}']);
    expect((await b.nextRaw()).toString()).toBe('>3\r\n$7\r\nmessage\r\n$18\r\n__shardgate__:test\r\n$25\r\n{"type":"server_ejected"}\r\n');
    const direct = new Redis({ port: redis.port });
    expect(await direct.pubsub('CHANNELS')).toEqual([]);
    direct.disconnect();
    a.close();
    await b.raw(['UNSUBSCRIBE']);
    await until('source stopped', () => stops === 1, 2000);
    b.close();
  });
});
