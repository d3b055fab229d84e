// The event bus: numbering, the bounded replay ring, resume with loss
// counting, ingest of events numbered elsewhere, and subscriber isolation.
import { describe, expect, it } from 'vitest';
import { EventBus } from '../../../src/events/bus.js';
import { EVENT_TYPES, isEventType, type ShardgateEvent } from '../../../src/events/types.js';

function poolAdded(bus: EventBus, pool: string): ShardgateEvent {
  return bus.publish({ type: 'pool_added', pool, listen: '127.0.0.1:0' });
}

describe('EventBus', () => {
  it('numbers events from 1 upwards and stamps an ISO time', () => {
    const bus = new EventBus();
    const before = Date.now();
    const a = poolAdded(bus, 'a');
    const b = bus.publish({ type: 'pool_removed', pool: 'a' });
    expect([a.id, b.id]).toEqual([1, 2]);
    expect(bus.lastId).toBe(2);
    expect(new Date(a.time).toISOString()).toBe(a.time);
    expect(Date.parse(a.time)).toBeGreaterThanOrEqual(before - 1);
    expect(b).toMatchObject({ type: 'pool_removed', pool: 'a' });
  });

  it('keeps only the newest `capacity` events, in order', () => {
    const bus = new EventBus({ capacity: 5 });
    for (let i = 0; i < 12; i++) poolAdded(bus, `p${i}`);
    expect(bus.oldestId).toBe(8);
    expect(bus.since(0).map((e) => e.id)).toEqual([8, 9, 10, 11, 12]);
    expect(bus.last(2).map((e) => e.id)).toEqual([11, 12]);
    expect(bus.last(50).map((e) => e.id)).toEqual([8, 9, 10, 11, 12]);
    expect(bus.last(0)).toEqual([]);
  });

  it('since(id) returns exactly the held events after id', () => {
    const bus = new EventBus({ capacity: 10 });
    for (let i = 0; i < 6; i++) poolAdded(bus, `p${i}`);
    expect(bus.since(4).map((e) => e.id)).toEqual([5, 6]);
    expect(bus.since(6)).toEqual([]);
  });

  it('replay counts the events dropped from the ring', () => {
    const bus = new EventBus({ capacity: 4 });
    for (let i = 0; i < 10; i++) poolAdded(bus, `p${i}`); // holds 7..10
    expect(bus.replay(6)).toMatchObject({ lost: 0, unknownId: false });
    expect(bus.replay(6).events.map((e) => e.id)).toEqual([7, 8, 9, 10]);
    const r = bus.replay(2); // 3..6 are gone
    expect(r.lost).toBe(4);
    expect(r.events.map((e) => e.id)).toEqual([7, 8, 9, 10]);
    expect(bus.replay(0).lost).toBe(6);
    expect(bus.replay(10)).toEqual({ events: [], lost: 0, unknownId: false });
  });

  it('replay flags an id this bus never numbered (a reader from an earlier run)', () => {
    const bus = new EventBus({ capacity: 4 });
    poolAdded(bus, 'a');
    poolAdded(bus, 'b');
    const r = bus.replay(500);
    expect(r.unknownId).toBe(true);
    expect(r.events.map((e) => e.id)).toEqual([1, 2]);
  });

  it('delivers synchronously, in order, to every subscriber until it unsubscribes', () => {
    const bus = new EventBus();
    const seen: number[] = [];
    const off = bus.subscribe((e) => seen.push(e.id));
    poolAdded(bus, 'a');
    expect(seen).toEqual([1]);
    poolAdded(bus, 'b');
    off();
    poolAdded(bus, 'c');
    expect(seen).toEqual([1, 2]);
    expect(bus.subscriberCount).toBe(0);
  });

  it('a throwing subscriber breaks neither the publisher nor the others, and is reported', () => {
    const errors: unknown[] = [];
    const bus = new EventBus({ onSubscriberError: (err) => errors.push(err) });
    const seen: string[] = [];
    bus.subscribe(() => { throw new Error('boom'); });
    bus.subscribe((e) => seen.push(e.type));
    expect(() => poolAdded(bus, 'a')).not.toThrow();
    expect(seen).toEqual(['pool_added']);
    expect((errors[0] as Error).message).toBe('boom');
  });

  it('a throwing error reporter is contained too', () => {
    const bus = new EventBus({ onSubscriberError: () => { throw new Error('reporter'); } });
    bus.subscribe(() => { throw new Error('boom'); });
    expect(() => poolAdded(bus, 'a')).not.toThrow();
  });

  it('a subscriber that unsubscribes itself during delivery does not make others miss the event', () => {
    const bus = new EventBus();
    const seen: string[] = [];
    const offA = bus.subscribe(() => { seen.push('a'); offA(); });
    bus.subscribe(() => seen.push('b'));
    poolAdded(bus, 'x');
    poolAdded(bus, 'y');
    expect(seen).toEqual(['a', 'b', 'b']);
  });

  it('ingest re-numbers into this bus\'s sequence and keeps the original time', () => {
    const worker = new EventBus();
    const primary = new EventBus();
    poolAdded(primary, 'local');
    worker.publish({ type: 'node_down', pool: 'a', server: 's1', address: '127.0.0.1:1', reason: 'timeout' });
    const forwarded = worker.publish({ type: 'node_up', pool: 'a', server: 's1', address: '127.0.0.1:1' });
    const got: ShardgateEvent[] = [];
    primary.subscribe((e) => got.push(e));
    const stored = primary.ingest(forwarded);
    expect(forwarded.id).toBe(2);
    expect(stored.id).toBe(2); // next after the primary's own 1, not the worker's number
    poolAdded(primary, 'again');
    expect(primary.since(0).map((e) => [e.id, e.type])).toEqual([[1, 'pool_added'], [2, 'node_up'], [3, 'pool_added']]);
    expect(stored.time).toBe(forwarded.time);
    expect(got[0]).toEqual({ ...forwarded, id: 2 });
  });

  it('rejects a capacity that is not a positive integer', () => {
    expect(() => new EventBus({ capacity: 0 })).toThrow(/positive integer/);
    expect(() => new EventBus({ capacity: 1.5 })).toThrow(/positive integer/);
  });
});

describe('event types', () => {
  it('lists every event name once and recognises them', () => {
    expect(new Set(EVENT_TYPES).size).toBe(EVENT_TYPES.length);
    expect(EVENT_TYPES).toContain('migration_progress');
    expect(isEventType('ring_changed')).toBe(true);
    expect(isEventType('nope')).toBe(false);
  });
});
