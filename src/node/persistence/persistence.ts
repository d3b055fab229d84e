// The persistence state machine of one node: what to load on start, the AOF
// writer, background saves and rewrites (one of each at a time), the `save`
// timer, automatic rewrites, shutdown. Commands and INFO live in index.ts.
// Must not touch sockets or the keyspace other than through NodeCore.
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { NodeCore } from '../contracts.js';
import { AofWriter } from './aof-writer.js';
import { rewriteAof } from './aof-rewrite.js';
import { TempFile, fileSize, writeFileAtomicSync } from './files.js';
import { loadAofFile, loadSnapshotFile, type LoadReport } from './load.js';
import { SnapshotJob, encodeSnapshotSync, hubFor, type CowHub } from './snapshot-job.js';

export interface PersistenceTuning {
  /** auto-aof-rewrite-percentage (default 100: rewrite when the AOF doubled since the last rewrite) */
  autoRewritePercentage?: number;
  /** auto-aof-rewrite-min-size in bytes (default 64 MB) */
  autoRewriteMinSize?: number;
}

type Status = 'ok' | 'err';

const datasetHooks = new WeakMap<NodeCore, () => void>();

/** Replication calls this after a full sync replaced the dataset (the AOF must get a new base). */
export function notifyDatasetReplaced(core: NodeCore): void { datasetHooks.get(core)?.(); }

export class Persistence {
  readonly core: NodeCore;
  readonly log: Logger;
  readonly hub: CowHub;
  readonly aofPath: string;
  readonly dumpPath: string;
  writer: AofWriter | null = null;
  loadReport: LoadReport = { source: 'none', keys: 0, expired: 0, commands: 0, truncatedBytes: 0, aux: new Map() };
  dirty = 0;
  lastSave = Math.floor(Date.now() / 1000);
  lastBgsaveStatus: Status = 'ok';
  lastBgsaveSec = -1;
  bgsaveStart = 0;
  bgsave: Promise<void> | null = null;
  rewriteStart = 0;
  rewrite: Promise<void> | null = null;
  rewriteScheduled = false;
  lastRewriteStatus: Status = 'ok';
  lastRewriteSec = -1;
  saves = 0;
  rewrites = 0;
  rewriteFailuresInARow = 0;
  #dirtyAtBgsave = 0;
  #saveTimer: NodeJS.Timeout | null = null;
  #unsubs: (() => void)[] = [];
  readonly #pct: number;
  readonly #minSize: number;

  constructor(core: NodeCore, log: Logger, tuning: PersistenceTuning = {}) {
    this.core = core;
    this.log = log;
    this.hub = hubFor(core.keyspace);
    this.aofPath = path.resolve(core.options.dir, core.options.appendfilename);
    this.dumpPath = path.resolve(core.options.dir, core.options.dbfilename);
    this.#pct = tuning.autoRewritePercentage ?? 100;
    this.#minSize = tuning.autoRewriteMinSize ?? 64 * 1024 * 1024;
  }

  /** Load data, open the AOF, follow the write stream. */
  async start(): Promise<void> {
    const o = this.core.options;
    fs.mkdirSync(o.dir, { recursive: true });
    const t0 = Date.now();
    const aofExists = fs.existsSync(this.aofPath);
    if (o.appendonly && aofExists) {
      this.loadReport = await loadAofFile(this.core, this.aofPath, { truncatedOk: o.aofLoadTruncated }, this.log);
    } else if (fs.existsSync(this.dumpPath)) {
      this.loadReport = loadSnapshotFile(this.core, this.dumpPath);
    }
    if (this.loadReport.source !== 'none') {
      this.log.info({ ...this.loadReport, aux: Object.fromEntries(this.loadReport.aux), ms: Date.now() - t0 }, 'DB loaded from disk');
    }
    if (o.appendonly) {
      // no AOF yet (first start, or AOF just turned on): give it a base so a restart finds everything
      if (!aofExists) writeFileAtomicSync(this.aofPath, encodeSnapshotSync(this.core.keyspace, this.#aux()));
      const w = new AofWriter(this.aofPath, o.appendfsync);
      w.onGrow = () => this.#maybeAutoRewrite();
      this.writer = w;
      this.#unsubs.push(this.core.addWriteListener(w));
    }
    this.#unsubs.push(this.core.addWriteListener({ onWrite: () => { this.dirty++; } }));
    datasetHooks.set(this.core, () => {
      this.dirty++;
      if (this.writer) this.startRewrite();
    });
    if (o.save !== null && o.save > 0) {
      const every = o.save;
      this.#saveTimer = setInterval(() => {
        // not while a script is busy: the snapshot would hold its partial writes
        if (this.dirty > 0 && this.bgsave === null && this.core.held !== true && Date.now() / 1000 - this.lastSave >= every) this.startBgsave();
      }, 1000);
      this.#saveTimer.unref();
    }
  }

  #aux(): Record<string, string> {
    return { 'sg-ver': '1', ctime: String(Date.now()), ...this.core.snapshotAux?.() };
  }

  /** SAVE: blocking snapshot. */
  saveSync(): void {
    writeFileAtomicSync(this.dumpPath, encodeSnapshotSync(this.core.keyspace, this.#aux()));
    this.saves++;
    this.dirty = 0;
    this.lastSave = Math.floor(Date.now() / 1000);
  }

  /** BGSAVE: returns false when one is already running. */
  startBgsave(): boolean {
    if (this.bgsave !== null) return false;
    this.bgsaveStart = Date.now();
    this.#dirtyAtBgsave = this.dirty;
    const tmp = new TempFile(this.dumpPath, 'bgsave');
    const job = new SnapshotJob(this.core.keyspace, this.hub, (c) => tmp.write(c), { aux: this.#aux() });
    this.bgsave = job.run().then(
      (r) => {
        tmp.commitSync();
        this.saves++;
        this.dirty -= this.#dirtyAtBgsave;
        this.lastSave = Math.floor(Date.now() / 1000);
        this.lastBgsaveStatus = 'ok';
        this.log.info({ entries: r.entries, bytes: r.bytes, ms: r.ms }, 'background saving terminated with success');
      },
      (err: Error) => {
        tmp.abort();
        this.lastBgsaveStatus = 'err';
        this.log.error({ err: err.message }, 'background saving failed');
      },
    ).finally(() => {
      this.lastBgsaveSec = Math.round((Date.now() - this.bgsaveStart) / 1000);
      this.bgsave = null;
    });
    return true;
  }

  /** BGREWRITEAOF: returns false when one is already running. */
  startRewrite(): boolean {
    if (this.rewrite !== null) { this.rewriteScheduled = true; return false; }
    this.rewriteStart = Date.now();
    const aux = this.#aux();
    this.rewrite = rewriteAof(this.core.keyspace, this.hub, this.writer, this.aofPath, aux).then(
      (r) => {
        this.lastRewriteStatus = 'ok';
        this.rewrites++;
        this.rewriteFailuresInARow = 0;
        this.log.info({ entries: r.entries, size: r.size, ms: r.ms }, 'background AOF rewrite finished');
      },
      (err: Error) => {
        this.lastRewriteStatus = 'err';
        this.rewriteFailuresInARow++;
        this.log.error({ err: err.message }, 'background AOF rewrite failed');
      },
    ).finally(() => {
      this.lastRewriteSec = Math.round((Date.now() - this.rewriteStart) / 1000);
      this.rewrite = null;
      if (this.rewriteScheduled) { this.rewriteScheduled = false; this.startRewrite(); }
    });
    return true;
  }

  #maybeAutoRewrite(): void {
    const w = this.writer;
    if (w === null || this.rewrite !== null || w.size < this.#minSize || this.#pct <= 0) return;
    const base = Math.max(1, w.baseSize);
    if ((w.size - base) * 100 / base >= this.#pct) {
      this.log.info({ size: w.size, base: w.baseSize }, 'starting automatic rewriting of AOF');
      this.startRewrite();
    }
  }

  get aofCurrentSize(): number { return this.writer?.size ?? fileSize(this.aofPath); }

  /** save: true = snapshot anyway (SHUTDOWN SAVE), false = never (SHUTDOWN NOSAVE), null = when `save` is on and data changed */
  async close(save: boolean | null = null): Promise<void> {
    if (this.#saveTimer) clearInterval(this.#saveTimer);
    this.rewriteScheduled = false;
    await Promise.allSettled([this.bgsave, this.rewrite].filter((p): p is Promise<void> => p !== null));
    for (const u of this.#unsubs) u();
    this.#unsubs = [];
    datasetHooks.delete(this.core);
    if (this.writer) { await this.writer.close(); this.writer = null; }
    if (save === true || (save === null && this.core.options.save !== null && this.core.options.save > 0 && this.dirty > 0)) {
      try { this.saveSync(); } catch (err) { this.log.error({ err: (err as Error).message }, 'saving on shutdown failed'); }
    }
  }
}
