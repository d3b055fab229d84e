// Persistence of `shardgate node`: attachPersistence() loads the data on start
// and then follows the write stream (AOF, snapshots, rewrites). This module
// only wires commands (SAVE, BGSAVE, BGREWRITEAOF, LASTSAVE) and the INFO
// persistence section onto the core; the work is in persistence.ts.
import type { Logger } from 'pino';
import { createLogger } from '../../log/index.js';
import { ReplyError, type NodeCore } from '../contracts.js';
import { Persistence, type PersistenceTuning } from './persistence.js';
import type { LoadReport } from './load.js';

export { PersistenceLoadError } from './load.js';
export type { PersistenceTuning } from './persistence.js';

export interface PersistenceHandle {
  /** what was loaded on start */
  readonly loaded: LoadReport;
  /** flush and fsync the AOF, wait for running background jobs, save if `save` is on and data changed (save true: always, false: never) */
  close(save?: boolean | null): Promise<void>;
  /** for tests and shutdown paths: the running background jobs (null when idle) */
  readonly bgsaveRunning: Promise<void> | null;
  readonly rewriteRunning: Promise<void> | null;
}

/**
 * Load the dataset (AOF when appendonly is on and the file exists, else the
 * snapshot file), then register commands/INFO and follow the write stream.
 * Rejects with PersistenceLoadError when a file is corrupt: the node must not start.
 * Call before the server accepts clients.
 */
export async function attachPersistence(core: NodeCore, tuning: PersistenceTuning & { logger?: Logger } = {}): Promise<PersistenceHandle> {
  const log = tuning.logger ?? createLogger({ name: 'shardgate-node-persistence' });
  const p = new Persistence(core, log, tuning);
  await p.start();
  registerCommands(core, p);
  core.registerInfoSection('persistence', () => infoPersistence(p));
  return {
    loaded: p.loadReport,
    close: (save) => p.close(save ?? null),
    get bgsaveRunning() { return p.bgsave; },
    get rewriteRunning() { return p.rewrite; },
  };
}

function registerCommands(core: NodeCore, p: Persistence): void {
  const none = { firstKey: 0, lastKey: 0, step: 0 } as const;
  core.registerCommand({
    name: 'save', arity: 1, flags: ['admin', 'noscript'], ...none,
    handler() {
      if (p.bgsave !== null) return new ReplyError('ERR Background save already in progress');
      try { p.saveSync(); } catch (err) { return new ReplyError(`ERR ${(err as Error).message}`); }
      return 'OK';
    },
  });
  core.registerCommand({
    name: 'bgsave', arity: -1, flags: ['admin', 'noscript'], ...none,
    handler(_ctx, argv) {
      const schedule = argv.length === 2 && argv[1]!.toString('latin1').toLowerCase() === 'schedule';
      if (argv.length > 2 || (argv.length === 2 && !schedule)) return new ReplyError('ERR syntax error');
      if (!p.startBgsave()) return new ReplyError('ERR Background save already in progress');
      return 'Background saving started';
    },
  });
  core.registerCommand({
    name: 'bgrewriteaof', arity: 1, flags: ['admin', 'noscript'], ...none,
    handler() {
      if (p.rewrite !== null) return new ReplyError('ERR Background append only file rewriting already in progress');
      p.startRewrite();
      return 'Background append only file rewriting started';
    },
  });
  core.registerCommand({
    name: 'lastsave', arity: 1, flags: ['loading', 'stale', 'fast'], ...none,
    handler() { return p.lastSave; },
  });
}

function infoPersistence(p: Persistence): Record<string, string | number> {
  const now = Date.now();
  const w = p.writer;
  const out: Record<string, string | number> = {
    loading: 0,
    async_loading: 0,
    rdb_changes_since_last_save: p.dirty,
    rdb_bgsave_in_progress: p.bgsave !== null ? 1 : 0,
    rdb_last_save_time: p.lastSave,
    rdb_last_bgsave_status: p.lastBgsaveStatus,
    rdb_last_bgsave_time_sec: p.lastBgsaveSec,
    rdb_current_bgsave_time_sec: p.bgsave !== null ? Math.round((now - p.bgsaveStart) / 1000) : -1,
    rdb_saves: p.saves,
    rdb_last_load_keys_expired: p.loadReport.expired,
    rdb_last_load_keys_loaded: p.loadReport.keys,
    aof_enabled: w !== null ? 1 : 0,
    aof_rewrite_in_progress: p.rewrite !== null ? 1 : 0,
    aof_rewrite_scheduled: p.rewriteScheduled ? 1 : 0,
    aof_last_rewrite_time_sec: p.lastRewriteSec,
    aof_current_rewrite_time_sec: p.rewrite !== null ? Math.round((now - p.rewriteStart) / 1000) : -1,
    aof_last_bgrewrite_status: p.lastRewriteStatus,
    aof_rewrites: p.rewrites,
    aof_rewrites_consecutive_failures: p.rewriteFailuresInARow,
    aof_last_write_status: w?.lastWriteError ? 'err' : 'ok',
    loaded_from: p.loadReport.source,
    loaded_keys: p.loadReport.keys,
    loaded_aof_truncated_bytes: p.loadReport.truncatedBytes,
  };
  if (w !== null) {
    out.aof_current_size = w.size;
    out.aof_base_size = w.baseSize;
    out.aof_pending_rewrite = p.rewriteScheduled ? 1 : 0;
    out.aof_buffer_length = w.bufferLength;
    out.aof_rewrite_buffer_length = w.rewriteBufferLength;
    out.aof_delayed_fsync = w.delayedFsyncs;
  }
  return out;
}
