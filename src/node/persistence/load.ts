// Recovery on start: load the AOF (snapshot preamble + command tail) or the
// snapshot file into the keyspace before the server accepts clients. Handles a
// truncated AOF tail like Redis's aof-load-truncated and refuses to start on a
// corrupt file with a message naming the file and the offset. Never writes
// anything but the truncation of a torn AOF tail.
import fs from 'node:fs';
import type { Logger } from 'pino';
import { ReplyError, type NodeCore } from '../contracts.js';
import { AofFormatError, scanAof } from './aof-format.js';
import { SnapshotFormatError, decodeSnapshot, startsWithSnapshot } from './snapshot-format.js';

export class PersistenceLoadError extends Error {
  override readonly name = 'PersistenceLoadError';
  readonly code = 'SG_ERR_PERSISTENCE_LOAD';
  constructor(message: string, readonly file: string, readonly offset: number) {
    super(`${message} (file ${file}, offset ${offset})`);
  }
}

export interface LoadReport {
  source: 'aof' | 'snapshot' | 'none';
  keys: number;
  /** snapshot entries skipped because they had expired */
  expired: number;
  commands: number;
  truncatedBytes: number;
  aux: Map<string, string>;
}

/**
 * The FUNCTION libraries a snapshot carries (aux 'functions', FUNCTION DUMP's payload) are loaded
 * by FUNCTION RESTORE; replace (a full sync) first drops the libraries the node had.
 */
export function applySnapshotAux(core: NodeCore, aux: Map<string, string>, replace: boolean): void {
  const fns = aux.get('functions');
  if (replace) void core.execute([Buffer.from('FUNCTION'), Buffer.from('FLUSH')]);
  if (fns !== undefined) void core.execute([Buffer.from('FUNCTION'), Buffer.from('RESTORE'), Buffer.from(fns, 'base64'), Buffer.from('REPLACE')]);
}

/** Restore snapshot entries from buf[offset..]; returns the decode result. Expired keys are skipped. */
export function loadSnapshotBytes(core: NodeCore, buf: Buffer, file: string, offset = 0): { end: number; keys: number; expired: number; aux: Map<string, string> } {
  const now = Date.now();
  let keys = 0;
  let expired = 0;
  try {
    const r = decodeSnapshot(buf, (key, payload, exp) => {
      if (exp !== 0 && exp <= now) { expired++; return; }
      core.keyspace.restore(key, Buffer.from(payload), exp);
      keys++;
    }, offset);
    applySnapshotAux(core, r.aux, false);
    return { end: r.end, keys, expired, aux: r.aux };
  } catch (err) {
    if (err instanceof SnapshotFormatError) {
      core.keyspace.flushAll();
      throw new PersistenceLoadError(`Bad snapshot format: ${err.message.replace(/ at offset \d+$/, '')}`, file, offset + err.offset);
    }
    throw err;
  }
}

export async function loadAofFile(core: NodeCore, file: string, opts: { truncatedOk: boolean }, log: Logger): Promise<LoadReport> {
  const buf = fs.readFileSync(file);
  let start = 0;
  let keys = 0;
  let expired = 0;
  let aux = new Map<string, string>();
  if (startsWithSnapshot(buf)) {
    const r = loadSnapshotBytes(core, buf, file);
    start = r.end;
    keys = r.keys;
    expired = r.expired;
    aux = r.aux;
  }
  let commands = 0;
  let failed = 0;
  let res;
  /** offset of a MULTI whose EXEC has not been read yet */
  let openMulti: number | null = null;
  try {
    res = await scanAof(buf, start, async (cmds) => {
      for (const c of cmds) {
        const name = c.argv[0]!.toString('latin1').toLowerCase();
        if (name === 'multi') openMulti = c.offset;
        else if (name === 'exec') openMulti = null;
        let reply = core.execute(c.argv);
        if (reply instanceof Promise) reply = await reply;
        commands++;
        if (reply instanceof ReplyError && failed++ < 10) {
          log.warn({ file, offset: c.offset, error: reply.message }, 'AOF command failed while loading');
        }
      }
    });
  } catch (err) {
    if (err instanceof AofFormatError) {
      throw new PersistenceLoadError(`Bad file format reading the append only file: ${err.message}; fix or remove the file`, file, err.offset);
    }
    throw err;
  }
  if (openMulti !== null) {
    // the file ends inside a transaction (a crash between its writes): none of it is applied,
    // and it is cut off so commands appended later cannot complete it
    core.execute([Buffer.from('DISCARD')]);
    res = { ...res, truncatedBytes: res.truncatedBytes + (res.end - openMulti), end: openMulti };
  }
  if (res.truncatedBytes > 0) {
    if (!opts.truncatedOk) {
      throw new PersistenceLoadError(`Unexpected end of the append only file (${res.truncatedBytes} bytes of an incomplete command; aof-load-truncated is off)`, file, res.end);
    }
    fs.truncateSync(file, res.end);
    log.warn({ file, offset: res.end, droppedBytes: res.truncatedBytes },
      `AOF loaded anyway because aof-load-truncated is enabled: truncated the incomplete last command at offset ${res.end} (${res.truncatedBytes} bytes dropped)`);
  }
  return { source: 'aof', keys, expired, commands, truncatedBytes: res.truncatedBytes, aux };
}

export function loadSnapshotFile(core: NodeCore, file: string): LoadReport {
  const buf = fs.readFileSync(file);
  const r = loadSnapshotBytes(core, buf, file);
  if (r.end !== buf.length) throw new PersistenceLoadError('Trailing bytes after the snapshot end record', file, r.end);
  return { source: 'snapshot', keys: r.keys, expired: r.expired, commands: 0, truncatedBytes: 0, aux: r.aux };
}
