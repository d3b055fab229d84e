// Pure parts of the admin API: the SSE reader (in one chunk and split at every
// position) and the listen-address parser.
import { describe, expect, it } from 'vitest';
import { SseReader, type SseMessage } from '../../../src/admin/sse-parse.js';
import { sseFrame } from '../../../src/admin/sse.js';
import { parseListenAddress } from '../../../src/admin/listen.js';
import { EventBus } from '../../../src/events/bus.js';

function readAll(chunks: string[]): SseMessage[] {
  const out: SseMessage[] = [];
  const r = new SseReader((m) => out.push(m));
  for (const c of chunks) r.push(c);
  return out;
}

describe('SseReader', () => {
  const bus = new EventBus();
  const e1 = bus.publish({ type: 'node_down', pool: 'a', server: 's1', address: '127.0.0.1:1', reason: 'line1\nline2 "quoted" é' });
  const e2 = bus.publish({ type: 'pool_removed', pool: 'a' });
  const stream = `: connected\n\n${sseFrame(e1)}: ping\n\nevent: gap\ndata: {"lost":3}\n\n${sseFrame(e2)}`;
  const expected: SseMessage[] = [
    { id: '1', event: 'node_down', data: JSON.stringify(e1) },
    { id: undefined, event: 'gap', data: '{"lost":3}' },
    { id: '2', event: 'pool_removed', data: JSON.stringify(e2) },
  ];

  it('reads our frames in one chunk', () => {
    const got = readAll([stream]);
    expect(got).toEqual(expected);
    expect(JSON.parse(got[0]!.data)).toEqual(e1);
  });

  it('reads the same split at every position', () => {
    for (let i = 1; i < stream.length; i++) expect(readAll([stream.slice(0, i), stream.slice(i)])).toEqual(expected);
  });

  it('handles CRLF and CR line ends (split between CR and LF too), multi-line data, fields without a space', () => {
    const text = 'event:x\r\ndata: a\r\ndata:b\r\n\r\nid: 9\rdata: c\r\r\n';
    const want = [{ id: undefined, event: 'x', data: 'a\nb' }, { id: '9', event: 'message', data: 'c' }];
    expect(readAll([text])).toEqual(want);
    for (let i = 1; i < text.length; i++) expect(readAll([text.slice(0, i), text.slice(i)])).toEqual(want);
  });

  it('does not dispatch a message that has not ended', () => {
    expect(readAll(['id: 1\nevent: x\ndata: y\n'])).toEqual([]);
  });
});

describe('parseListenAddress', () => {
  it('accepts host:port, :port, port and [v6]:port', () => {
    expect(parseListenAddress('0.0.0.0:9100')).toEqual({ host: '0.0.0.0', port: 9100 });
    expect(parseListenAddress('localhost:0')).toEqual({ host: 'localhost', port: 0 });
    expect(parseListenAddress(':9100')).toEqual({ host: '127.0.0.1', port: 9100 });
    expect(parseListenAddress('9100')).toEqual({ host: '127.0.0.1', port: 9100 });
    expect(parseListenAddress('[::1]:9100')).toEqual({ host: '::1', port: 9100 });
  });

  it('rejects what is not an address, naming it', () => {
    for (const bad of ['', 'host', 'host:', 'host:70000', 'host:12a', '::1:9100', 'a b:1']) {
      expect(() => parseListenAddress(bad), bad).toThrow(`admin listener ${bad}: invalid address`);
    }
  });
});
