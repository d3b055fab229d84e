// `shardgate rebalance` as a user runs it (the built CLI in its own process)
// against an admin API started here with startAdminServer, whose /migration
// and /events routes play a scripted migration. This is a test double of our
// own control API, not of Redis.
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { pino } from 'pino';
import { startAdminServer, eventStreamRoute, AdminError, type AdminRoute, type AdminServer } from '../../src/admin/index.js';
import type { MigrationPoolStatus } from '../../src/admin/migration-types.js';
import { EventBus } from '../../src/events/bus.js';
import { freePort } from '../fixtures/ports.js';
import { SHARDGATE_BIN } from '../fixtures/procs.js';

const log = pino({ level: 'silent' });

function idle(): MigrationPoolStatus {
  return { mode: 'background', state: 'idle', ring_version: 3, scanned: 0, misplaced: 0, moved: 0, busy: 0, missing: 0, errors: 0,
    total_keys: null, started_at: null, finished_at: null, last_error: null };
}

interface Plan { steps: number; keysPerStep: number; endState: 'done' | 'failed'; errorsAt?: number }

/** The scripted migration: every `stepMs` one step of progress per running pool, published on the bus like the proxy would. */
class ScriptedMigrations {
  readonly bus = new EventBus();
  readonly pools = new Map<string, MigrationPoolStatus>();
  #plans = new Map<string, Plan>();
  #timers: NodeJS.Timeout[] = [];
  constructor(pools: Record<string, Plan>) {
    for (const [name, plan] of Object.entries(pools)) { this.pools.set(name, idle()); this.#plans.set(name, plan); }
  }

  start(name: string, stepMs = 50): void {
    const plan = this.#plans.get(name)!;
    const total = plan.steps * plan.keysPerStep;
    this.pools.set(name, { ...idle(), state: 'running', total_keys: total, started_at: new Date().toISOString() });
    this.bus.publish({ type: 'migration_started', pool: name, mode: 'background', ring_version: 3 });
    let step = 0;
    const t = setInterval(() => {
      step++;
      const s = this.pools.get(name)!;
      const misplacedNow = Math.floor(plan.keysPerStep / 4);
      const next: MigrationPoolStatus = { ...s, scanned: s.scanned + plan.keysPerStep, misplaced: s.misplaced + misplacedNow,
        moved: s.moved + misplacedNow - 1, busy: s.busy + (step % 3 === 0 ? 1 : 0), missing: s.missing + (step % 3 === 0 ? 0 : 1),
        errors: s.errors + (plan.errorsAt === step ? 1 : 0) };
      const last = step === plan.steps;
      if (last) Object.assign(next, { state: plan.endState, finished_at: new Date().toISOString(), last_error: plan.endState === 'failed' ? 'server 127.0.0.1:7002: connection refused' : null });
      this.pools.set(name, next);
      const { scanned, moved, misplaced, busy, missing, errors } = next;
      this.bus.publish({ type: 'migration_progress', pool: name, scanned, moved, misplaced, busy, missing, errors, done: last });
      if (last) {
        clearInterval(t);
        this.bus.publish({ type: 'migration_done', pool: name, moved, errors, ms: Date.parse(next.finished_at!) - Date.parse(next.started_at!) });
      }
    }, stepMs);
    this.#timers.push(t);
  }

  stop(): void { for (const t of this.#timers) clearInterval(t); }
}

interface Served { server: AdminServer; gets: number; posts: { body: string; auth: string | undefined }[] }

async function serve(m: ScriptedMigrations, opts: { events?: 'sse' | 'none' | 'drops'; token?: string; postAnswer?: 'start' | 409 | 400 } = {}): Promise<Served> {
  const served: Served = { server: null as unknown as AdminServer, gets: 0, posts: [] };
  const routes: AdminRoute[] = [
    {
      method: 'GET', path: '/migration', handle: (r) => {
        served.gets++;
        const only = r.query.get('pool');
        if (only !== null && !m.pools.has(only)) throw new AdminError(404, 'not_found', `no pool named '${only}'`);
        const pools = Object.fromEntries([...m.pools].filter(([name]) => only === null || name === only));
        return { status: 200, json: { pools } };
      },
    },
    {
      method: 'POST', path: '/migration', handle: (r) => {
        served.posts.push({ body: r.body.toString(), auth: r.headers.authorization });
        if (opts.postAnswer === 409) throw new AdminError(409, 'migration_running', 'a migration is running');
        if (opts.postAnswer === 400) throw new AdminError(400, 'bad_request', "migration mode of pool 'cache' is off");
        const asked = (JSON.parse(r.body.toString()) as { pool?: string }).pool;
        const started = asked === undefined ? [...m.pools.keys()] : [asked];
        for (const p of started) m.start(p);
        return { status: 202, json: { started } };
      },
    },
  ];
  const events = opts.events ?? 'sse';
  if (events === 'sse') routes.push(eventStreamRoute(m.bus));
  if (events === 'drops') {
    // Answers like /events, delivers one event, then cuts the connection.
    routes.push({ method: 'GET', path: '/events', handle: (r) => {
      r.res.writeHead(200, { 'content-type': 'text/event-stream' });
      r.res.write(': connected\n\n');
      const off = m.bus.subscribe((e) => { r.res.write(`id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`); off(); setTimeout(() => r.res.destroy(), 10); });
      r.res.once('close', off);
      return { streaming: true };
    } });
  }
  served.server = await startAdminServer({ listen: '127.0.0.1:0', token: opts.token ?? null, authReads: opts.token !== undefined, routes, log });
  return served;
}

const children = new Set<ChildProcess>();
let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  children.clear();
  for (const f of cleanup) await f();
  cleanup = [];
});

function rebalance(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const t0 = Date.now();
  const child = spawn(process.execPath, [SHARDGATE_BIN, 'rebalance', ...args], {
    env: { ...process.env, SHARDGATE_ADMIN_TOKEN: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr, ms: Date.now() - t0 })));
}

async function setup(pools: Record<string, Plan>, opts: Parameters<typeof serve>[1] = {}) {
  const m = new ScriptedMigrations(pools);
  const served = await serve(m, opts);
  cleanup.push(async () => { m.stop(); await served.server.close(); });
  return { m, served, address: served.server.address };
}

function summaryOf(name: string, s: MigrationPoolStatus): string {
  const secs = ((Date.parse(s.finished_at!) - Date.parse(s.started_at!)) / 1000).toFixed(1);
  const why = s.state === 'failed' ? ` (${s.last_error})` : '';
  return `${name}: ${s.state}${why}, moved ${s.moved}, busy ${s.busy}, missing ${s.missing}, errors ${s.errors}, ${secs} s`;
}

describe('shardgate rebalance', () => {
  it('follows a running migration over the event stream to done: progress lines, summary, exit 0', async () => {
    const { m, served, address } = await setup({ cache: { steps: 30, keysPerStep: 100, endState: 'done' } });
    m.start('cache', 150); // 4.5 s: longer than the CLI takes to start on a loaded machine
    const r = await rebalance(['--admin', address]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const final = m.pools.get('cache')!;
    expect(r.stdout.trim().split('\n').at(-1)).toBe(summaryOf('cache', final));
    const progress = r.stdout.split('\n').filter((l) => l.startsWith('cache: running'));
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(progress.length).toBeLessThanOrEqual(Math.ceil(r.ms / 1000) + 1); // at most one a second (stdout is a pipe)
    expect(progress[0]).toMatch(/^cache: running \d+% \(\d+\/3000 keys\)  moved \d+  misplaced \d+  busy \d+  missing \d+  errors 0$/);
    // Over the stream it reads /migration at the start and once at the end, instead of polling every 500 ms.
    expect(served.gets).toBeLessThanOrEqual(3);
  });

  it('exits 1 when a pool fails, with every pool\'s summary and the last error', async () => {
    const { m, address } = await setup({
      cache: { steps: 10, keysPerStep: 50, endState: 'done' },
      sessions: { steps: 14, keysPerStep: 50, endState: 'failed' },
    });
    m.start('cache');
    m.start('sessions');
    const r = await rebalance(['--admin', address, '--no-progress']);
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split('\n');
    expect(lines.slice(-2)).toEqual([summaryOf('cache', m.pools.get('cache')!), summaryOf('sessions', m.pools.get('sessions')!)]);
    expect(lines.at(-1)).toContain('failed (server 127.0.0.1:7002: connection refused)');
  });

  it('exits 1 when a pool finishes with errors', async () => {
    const { m, address } = await setup({ cache: { steps: 8, keysPerStep: 10, endState: 'done', errorsAt: 4 } });
    m.start('cache');
    const r = await rebalance(['--admin', address]);
    expect(r.code).toBe(1);
    expect(r.stdout.trim().split('\n').at(-1)).toBe(summaryOf('cache', m.pools.get('cache')!));
    expect(m.pools.get('cache')!.errors).toBe(1);
  });

  it('--pool follows only that pool', async () => {
    const { m, address } = await setup({ cache: { steps: 6, keysPerStep: 10, endState: 'done' }, other: { steps: 400, keysPerStep: 1, endState: 'done' } });
    m.start('cache');
    m.start('other'); // would take 20 s
    const r = await rebalance(['--admin', address, '--pool', 'cache']);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('other');
    expect(r.stdout.trim().split('\n').at(-1)).toBe(summaryOf('cache', m.pools.get('cache')!));
  });

  it('--start POSTs /migration with the pool, then follows it', async () => {
    const { m, served, address } = await setup({ cache: { steps: 6, keysPerStep: 10, endState: 'done' }, other: { steps: 6, keysPerStep: 10, endState: 'done' } });
    const r = await rebalance(['--admin', address, '--pool', 'cache', '--start']);
    expect(r.code).toBe(0);
    expect(served.posts.map((p) => JSON.parse(p.body))).toEqual([{ pool: 'cache' }]);
    expect(m.pools.get('other')!.state).toBe('idle');
    expect(r.stdout.trim().split('\n').at(-1)).toBe(summaryOf('cache', m.pools.get('cache')!));
  });

  it('--start without --pool starts every pool ({}) and follows them all', async () => {
    const { m, served, address } = await setup({ a: { steps: 5, keysPerStep: 10, endState: 'done' }, b: { steps: 7, keysPerStep: 10, endState: 'done' } });
    const r = await rebalance(['--admin', address, '--start']);
    expect(r.code).toBe(0);
    expect(served.posts.map((p) => p.body)).toEqual(['{}']);
    expect(r.stdout.trim().split('\n').slice(-2)).toEqual([summaryOf('a', m.pools.get('a')!), summaryOf('b', m.pools.get('b')!)]);
  });

  it('--start when one is running already (409 migration_running) follows it; another refusal exits 2 with the server\'s message', async () => {
    const running = await setup({ cache: { steps: 6, keysPerStep: 10, endState: 'done' } }, { postAnswer: 409 });
    running.m.start('cache');
    const r = await rebalance(['--admin', running.address, '--start']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('a migration is already running: following it');
    const refused = await setup({ cache: { steps: 6, keysPerStep: 10, endState: 'done' } }, { postAnswer: 400 });
    const bad = await rebalance(['--admin', refused.address, '--start']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(`shardgate rebalance: the admin API at ${refused.address} refused POST /migration: 400 bad_request: migration mode of pool 'cache' is off\n`);
  });

  it('sends the token from --token or SHARDGATE_ADMIN_TOKEN; a missing or wrong one exits 2 naming the refusal', async () => {
    const { m, served, address } = await setup({ cache: { steps: 5, keysPerStep: 10, endState: 'done' } }, { token: 'tok-123' });
    const none = await rebalance(['--admin', address]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain(`the admin API at ${address} refused GET /migration: 401 unauthorized`);
    const wrong = await rebalance(['--admin', address, '--token', 'nope', '--start']);
    expect(wrong.code).toBe(2);
    expect(served.posts).toEqual([]); // refused before the handler ran
    const flag = await rebalance(['--admin', address, '--token', 'tok-123', '--start']);
    expect(flag.code).toBe(0);
    expect(served.posts.map((p) => p.auth)).toEqual(['Bearer tok-123']);
    m.start('cache');
    const env = await rebalance(['--admin', address], { SHARDGATE_ADMIN_TOKEN: 'tok-123' });
    expect(env.code).toBe(0);
    expect(env.stdout.trim().split('\n').at(-1)).toBe(summaryOf('cache', m.pools.get('cache')!));
  });

  it('exits 2 when nothing answers at the address, naming it, without a stack trace', async () => {
    const port = await freePort();
    const r = await rebalance(['--admin', `127.0.0.1:${port}`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`shardgate rebalance: cannot reach the admin API at 127.0.0.1:${port}: connection refused\n`);
    expect(r.stdout).toBe('');
  });

  it('exits 2 for an unknown pool and for a malformed --admin', async () => {
    const { address } = await setup({ cache: { steps: 5, keysPerStep: 10, endState: 'done' } });
    const r = await rebalance(['--admin', address, '--pool', 'nope']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`shardgate rebalance: the admin API at ${address} refused GET /migration?pool=nope: 404 not_found: no pool named 'nope'\n`);
    const bad = await rebalance(['--admin', 'not-an-address']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--admin not-an-address: expected host:port');
    const missing = await rebalance([]);
    expect(missing.code).toBe(2);
  });

  it.each([
    ['without an event stream (404)', 'none'],
    ['when the stream drops mid-way', 'drops'],
  ] as const)('%s it polls /migration every 500 ms and still finishes', async (_what, events) => {
    const { m, served, address } = await setup({ cache: { steps: 30, keysPerStep: 10, endState: 'done' } }, { events });
    m.start('cache');
    const r = await rebalance(['--admin', address]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n').at(-1)).toBe(summaryOf('cache', m.pools.get('cache')!));
    expect(served.gets).toBeGreaterThanOrEqual(3); // 1.5 s of migration at one read per 500 ms
  });

  it('with nothing migrating it says so and exits 0; a finished run is summarised', async () => {
    const { m, address } = await setup({ cache: { steps: 2, keysPerStep: 10, endState: 'failed' } });
    const r = await rebalance(['--admin', address]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('no migration has run: cache idle\n');
    m.start('cache', 5);
    await new Promise((res) => setTimeout(res, 100));
    const after = await rebalance(['--admin', address]);
    expect(after.code).toBe(1);
    expect(after.stdout).toBe(`${summaryOf('cache', m.pools.get('cache')!)}\n`);
  });
});
