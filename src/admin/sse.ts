// GET /events: the event bus as a server-sent-events stream. Replays from the
// bus's ring on resume (Last-Event-ID or ?since=), says so with a `gap` event
// when the ring no longer holds what was missed, then streams live events.
// Memory per client is bounded: a client whose unsent bytes pass the limit is
// dropped. Must not keep events of its own; the bus is the only store.
import type { Logger } from 'pino';
import type { EventBus } from '../events/bus.js';
import { EVENT_TYPES, isEventType, type EventType, type ShardgateEvent } from '../events/types.js';
import { AdminError } from './errors.js';
import type { AdminRequest, AdminResult, AdminRoute } from './types.js';

export interface EventStreamOptions {
  /** Default '/events'. */
  path?: string;
  /** Interval of the `: ping` comment (default 15 s). */
  heartbeatMs?: number;
  /** A client with more unsent bytes than this is dropped (default 1 MB). */
  maxBufferedBytes?: number;
  log?: Logger;
}

export function sseFrame(e: ShardgateEvent): string {
  return `id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`;
}

function parseTypes(value: string | null): Set<EventType> | null {
  if (value === null || value.trim() === '') return null;
  const names = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const unknown = names.filter((n) => !isEventType(n));
  if (unknown.length > 0) {
    throw new AdminError(400, 'bad_request', `unknown event type ${unknown.map((n) => `'${n}'`).join(', ')} (known: ${EVENT_TYPES.join(', ')})`);
  }
  return new Set(names as EventType[]);
}

/** The id to resume after: Last-Event-ID (what a reconnecting EventSource sends) wins over ?since=. */
function parseResume(req: AdminRequest): number | null {
  const header = req.headers['last-event-id'];
  const fromHeader = Array.isArray(header) ? header[0] : header;
  const [text, what] = fromHeader !== undefined && fromHeader.trim() !== ''
    ? [fromHeader.trim(), 'Last-Event-ID'] : [req.query.get('since'), 'since'];
  if (text === null || text === undefined || text === '') return null;
  if (!/^\d+$/.test(text)) throw new AdminError(400, 'bad_request', `${what} must be an event id (a non-negative integer), got '${text}'`);
  return Number(text);
}

export function eventStreamRoute(bus: EventBus, opts: EventStreamOptions = {}): AdminRoute {
  const heartbeatMs = opts.heartbeatMs ?? 15_000;
  const maxBuffered = opts.maxBufferedBytes ?? 1024 * 1024;
  return {
    method: 'GET',
    path: opts.path ?? '/events',
    handle(req: AdminRequest): AdminResult {
      const types = parseTypes(req.query.get('types'));
      const after = parseResume(req);
      const res = req.res;
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
      if (req.method === 'HEAD') {
        res.end();
        return { streaming: true };
      }
      res.shouldKeepAlive = false; // the stream's end is the connection's end
      req.raw.socket.setNoDelay(true);
      const write = (chunk: string): void => {
        if (res.destroyed || res.writableEnded) return;
        res.write(chunk);
        if (res.writableLength > maxBuffered) {
          opts.log?.warn({ remote: req.raw.socket.remoteAddress, buffered: res.writableLength }, 'event stream client too slow: dropped');
          res.destroy();
        }
      };
      const wanted = (e: ShardgateEvent) => types === null || types.has(e.type);
      write(': connected\n\n'); // sends the headers now, so the client knows it is subscribed
      // Replay and subscribe in one synchronous run: no event can fall between them.
      if (after !== null) {
        const r = bus.replay(after);
        if (r.unknownId) {
          write(`event: gap\ndata: ${JSON.stringify({ after_id: after, lost: null, oldest_id: bus.oldestId, reason: 'unknown_id' })}\n\n`);
        } else if (r.lost > 0) {
          write(`event: gap\ndata: ${JSON.stringify({ after_id: after, lost: r.lost, oldest_id: bus.oldestId })}\n\n`);
        }
        for (const e of r.events) if (wanted(e)) write(sseFrame(e));
      }
      const unsubscribe = bus.subscribe((e) => { if (wanted(e)) write(sseFrame(e)); });
      const heartbeat = setInterval(() => write(': ping\n\n'), heartbeatMs);
      heartbeat.unref();
      res.once('close', () => {
        unsubscribe();
        clearInterval(heartbeat);
      });
      return { streaming: true };
    },
  };
}
