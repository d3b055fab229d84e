// Appends the write stream to the AOF and fsyncs it per `appendfsync`.
// Owns the AOF file descriptor, the size counters and the rewrite buffer
// (commands that arrive while a rewrite runs). Does not build the rewrite's
// base (aof-rewrite.ts does) and never runs commands.
//
// appendfsync always: the core calls onWrite() synchronously while it executes
// the command, before it encodes the reply, so we write() and fdatasync() right
// there (blocking). The reply cannot leave before the command is on disk. The
// price is one fsync per write command (no group commit: the contract has no
// "before replies are flushed" hook to batch on).
// everysec / no: commands are gathered and written once per event-loop turn
// (setImmediate) with async writes, so a crash of the process loses at most the
// current turn; everysec also fdatasyncs in the thread pool once per second
// (skipped while the previous fsync is still running, counted in aof_delayed_fsync).
import fs from 'node:fs';
import { encodeCommand } from '../../resp/encode.js';
import type { WriteListener } from '../contracts.js';
import { writeAll } from './files.js';

export type FsyncPolicy = 'always' | 'everysec' | 'no';

export class AofWriter implements WriteListener {
  readonly path: string;
  readonly #policy: FsyncPolicy;
  #fd: number;
  #size: number;
  baseSize: number;
  #pending: Buffer[] = [];
  #pendingLen = 0;
  #writing = false;
  #scheduled = false;
  #paused = false;
  #idleWaiters: (() => void)[] = [];
  #fsyncing = false;
  #dirtySinceFsync = false;
  #timer: NodeJS.Timeout | null = null;
  #rewriteBuf: Buffer[] | null = null;
  #rewriteBufLen = 0;
  delayedFsyncs = 0;
  lastWriteError: Error | null = null;
  onGrow: (() => void) | null = null;

  constructor(file: string, policy: FsyncPolicy) {
    this.path = file;
    this.#policy = policy;
    this.#fd = fs.openSync(file, 'a');
    this.#size = fs.fstatSync(this.#fd).size;
    this.baseSize = this.#size;
    if (policy === 'everysec') {
      this.#timer = setInterval(() => this.#backgroundFsync(), 1000);
      this.#timer.unref();
    }
  }

  get size(): number { return this.#size; }
  get bufferLength(): number { return this.#pendingLen; }
  get rewriteBufferLength(): number { return this.#rewriteBufLen; }

  onWrite(argv: Buffer[]): void {
    const cmd = encodeCommand(argv);
    this.#size += cmd.length;
    if (this.#rewriteBuf !== null) { this.#rewriteBuf.push(cmd); this.#rewriteBufLen += cmd.length; }
    if (this.#policy === 'always' && !this.#paused && !this.#writing) {
      try {
        let off = 0;
        while (off < cmd.length) off += fs.writeSync(this.#fd, cmd, off);
        fs.fdatasyncSync(this.#fd);
      } catch (err) {
        this.lastWriteError = err as Error;
      }
    } else {
      this.#pending.push(cmd);
      this.#pendingLen += cmd.length;
      this.#schedule();
    }
    this.onGrow?.();
  }

  /** Start collecting commands for a rewrite (call at the rewrite's point in time). */
  beginRewriteBuffer(): void {
    this.#rewriteBuf = [];
    this.#rewriteBufLen = 0;
  }

  /** Hand over what was collected so far and keep collecting. */
  takeRewriteBuffer(): Buffer[] {
    const b = this.#rewriteBuf ?? [];
    this.#rewriteBuf = this.#rewriteBuf === null ? null : [];
    this.#rewriteBufLen = 0;
    return b;
  }

  endRewriteBuffer(): void {
    this.#rewriteBuf = null;
    this.#rewriteBufLen = 0;
  }

  /** Wait until no async write is in flight and hold further writes (for a swap). */
  async pauseAndDrain(): Promise<void> {
    this.#paused = true;
    if (!this.#writing) return;
    await new Promise<void>((r) => this.#idleWaiters.push(r));
  }

  /**
   * Switch to a new file descriptor whose file already holds every command so far
   * (the rewritten AOF). Commands still pending for the old file are dropped: the
   * rewrite buffer already put them in the new file. Then resume writing.
   */
  swapTo(fd: number, size: number): void {
    const old = this.#fd;
    this.#fd = fd;
    this.#pending = [];
    this.#pendingLen = 0;
    this.#size = size;
    this.baseSize = size;
    this.#paused = false;
    if (this.#fsyncing) setTimeout(() => fs.close(old, () => {}), 2000).unref();
    else fs.close(old, () => {});
  }

  resume(): void {
    this.#paused = false;
    this.#schedule();
  }

  /** Write out everything pending and fsync (shutdown, tests). */
  async flushAndSync(): Promise<void> {
    while (this.#writing || this.#pendingLen > 0) {
      if (!this.#writing) this.#writeNow();
      await new Promise<void>((r) => this.#idleWaiters.push(r));
    }
    await new Promise<void>((resolve) => fs.fdatasync(this.#fd, () => resolve()));
  }

  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#paused = false;
    await this.flushAndSync();
    fs.closeSync(this.#fd);
  }

  #schedule(): void {
    if (this.#scheduled || this.#paused) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      if (!this.#writing && !this.#paused) this.#writeNow();
    });
  }

  #writeNow(): void {
    if (this.#pendingLen === 0) return this.#wakeIdle();
    const buf = this.#pending.length === 1 ? this.#pending[0]! : Buffer.concat(this.#pending, this.#pendingLen);
    this.#pending = [];
    this.#pendingLen = 0;
    this.#writing = true;
    writeAll(this.#fd, buf, (err) => {
      this.#writing = false;
      if (err) this.lastWriteError = err;
      else this.lastWriteError = null;
      this.#dirtySinceFsync = true;
      if (this.#policy === 'always') fs.fdatasync(this.#fd, () => {});
      if (this.#paused) return this.#wakeIdle();
      if (this.#pendingLen > 0) this.#writeNow();
      else this.#wakeIdle();
    });
  }

  #wakeIdle(): void {
    const w = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const r of w) r();
  }

  #backgroundFsync(): void {
    if (!this.#dirtySinceFsync) return;
    if (this.#fsyncing) { this.delayedFsyncs++; return; }
    this.#fsyncing = true;
    this.#dirtySinceFsync = false;
    fs.fdatasync(this.#fd, () => { this.#fsyncing = false; });
  }
}
