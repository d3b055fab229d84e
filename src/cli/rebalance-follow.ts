// What `shardgate rebalance` does once its flags are read: optionally starts a
// background migration (POST /migration), then follows every migrating pool
// through the /events stream (polling GET /migration every 500 ms when the
// stream is unavailable or drops, and every 5 s as a check while it is up)
// until each is done or failed. Returns the exit code; throws AdminApiError
// when the API cannot be reached or refuses. Must not print a stack or exit.
import { AdminApiError, type AdminClient, type EventStreamHandle } from '../admin/client.js';
import type { MigrationPoolStatus, MigrationReport } from '../admin/migration-types.js';
import type { SseMessage } from '../admin/sse-parse.js';
import { summaryLine, type ProgressView } from './migration-view.js';

export interface RebalanceOptions {
  client: AdminClient;
  pool: string | null;
  start: boolean;
  makeView(pools: string[]): ProgressView;
  /** Summary lines and notes. */
  out: NodeJS.WritableStream;
  /** Polling interval without the event stream (default 500 ms). */
  pollMs?: number;
  /** Polling interval while the event stream is up (default 5 s). */
  checkMs?: number;
}

const STREAM_PATH = '/events?types=migration_started,migration_progress,migration_done';
const terminal = (s: MigrationPoolStatus) => s.state === 'done' || s.state === 'failed';

function readReport(client: AdminClient, path: string, json: unknown): Record<string, MigrationPoolStatus> {
  const pools = (json as Partial<MigrationReport> | null)?.pools;
  if (typeof pools !== 'object' || pools === null) {
    throw new AdminApiError(`the admin API at ${client.address} answered GET ${path} without a "pools" object`);
  }
  return pools;
}

function secondsOf(s: MigrationPoolStatus, doneMs: number | undefined): number | null {
  if (s.started_at !== null && s.finished_at !== null) {
    const ms = Date.parse(s.finished_at) - Date.parse(s.started_at);
    if (Number.isFinite(ms) && ms >= 0) return ms / 1000;
  }
  return doneMs === undefined ? null : doneMs / 1000;
}

export async function runRebalance(o: RebalanceOptions): Promise<0 | 1> {
  const { client } = o;
  const reportPath = o.pool === null ? '/migration' : `/migration?pool=${encodeURIComponent(o.pool)}`;
  let started: string[] = [];
  if (o.start) {
    const reply = await client.request('POST', '/migration', o.pool === null ? {} : { pool: o.pool });
    if (reply.status === 202) {
      const list = (reply.json as { started?: unknown } | null)?.started;
      started = Array.isArray(list) ? list.filter((p): p is string => typeof p === 'string') : [];
    } else if (reply.status === 409 && client.failure('POST', '/migration', reply).code === 'migration_running') {
      o.out.write(`a migration is already running${o.pool === null ? '' : ` in pool ${o.pool}`}: following it\n`);
    } else {
      throw client.failure('POST', '/migration', reply);
    }
  }

  const statuses = new Map<string, MigrationPoolStatus>();
  const doneMs = new Map<string, number>();
  let followed: string[] = [];
  let view: ProgressView | null = null;
  let wakeUp: (() => void) | null = null;
  const wake = () => wakeUp?.();
  const nap = (ms: number) => new Promise<void>((resolve) => {
    const done = () => { clearTimeout(t); wakeUp = null; resolve(); };
    const t = setTimeout(done, ms);
    wakeUp = done;
  });

  const onMessage = (m: SseMessage) => {
    let e: Record<string, unknown>;
    try { e = JSON.parse(m.data) as Record<string, unknown>; } catch { return; }
    const pool = typeof e.pool === 'string' ? e.pool : '';
    const current = statuses.get(pool);
    if (!followed.includes(pool) || current === undefined) return;
    if (m.event === 'migration_progress' && !terminal(current)) {
      const next = { ...current, state: 'running' as const };
      for (const k of ['scanned', 'moved', 'misplaced', 'busy', 'missing', 'errors'] as const) {
        if (typeof e[k] === 'number') next[k] = e[k];
      }
      statuses.set(pool, next);
      view?.update(pool, next);
      if (e.done === true) wake();
    } else if (m.event === 'migration_done') {
      if (typeof e.ms === 'number') doneMs.set(pool, e.ms);
      wake();
    } else if (m.event === 'migration_started') {
      wake();
    }
  };

  // The stream opens before the first read of /migration, so nothing that
  // happens between the two is missed.
  let streamUp = false;
  let stream: EventStreamHandle | null = null;
  await new Promise<void>((opened) => {
    stream = client.events(STREAM_PATH, {
      onOpen: () => { streamUp = true; opened(); },
      onMessage,
      onEnd: () => { streamUp = false; opened(); wake(); },
    });
  });

  try {
    const refresh = async () => {
      const pools = readReport(client, reportPath, await client.getJson(reportPath));
      if (o.pool !== null && pools[o.pool] === undefined) throw new AdminApiError(`the admin API at ${client.address} has no pool '${o.pool}'`);
      for (const [name, s] of Object.entries(pools)) {
        if (o.pool !== null && name !== o.pool) continue;
        statuses.set(name, s);
      }
    };
    await refresh();
    followed = [...statuses].filter(([name, s]) => s.state !== 'idle' || started.includes(name)).map(([name]) => name);
    if (followed.length === 0) {
      o.out.write(`no migration has run: ${[...statuses.keys()].map((p) => `${p} idle`).join(', ') || 'no pools'}\n`);
      return 0;
    }
    view = o.makeView(followed);
    const live = view;
    const show = () => { for (const p of followed) live.update(p, statuses.get(p)!); };
    show();
    while (!followed.every((p) => terminal(statuses.get(p)!))) {
      await nap(streamUp ? (o.checkMs ?? 5000) : (o.pollMs ?? 500));
      await refresh();
      show();
    }
    live.finish();
    let failed = false;
    for (const p of followed) {
      const s = statuses.get(p)!;
      if (s.state === 'failed' || s.errors > 0) failed = true;
      o.out.write(`${summaryLine(p, s, secondsOf(s, doneMs.get(p)))}\n`);
    }
    return failed ? 1 : 0;
  } finally {
    (stream as EventStreamHandle | null)?.close();
    wake();
  }
}
