// Appends the write stream to the AOF and fsyncs it per `appendfsync`.
// Owns the AOF file descriptor, the size counters and the rewrite buffer
// (commands that arrive while a rewrite runs). Does not build the rewrite's
// base (aof-rewrite.ts does) and never runs commands.
//
// Every command is written to the file (the OS page cache) synchronously in
// onWrite(), which the core calls while it executes the command, i.e. before
// the reply exists. So a crash of the process (kill -9) never loses an
// acknowledged write under any policy, as in Redis (which writes its AOF
// buffer before sending replies). The cost is one write() per write command.
// appendfsync always: also fdatasync() right there, blocking; the reply cannot
//   leave before the command is on disk. One fsync per write command: the
//   contract has no "before replies are flushed" hook to group-commit on.
// everysec: fdatasync in the thread pool once per second (skipped while the
//   previous one still runs, counted in aof_delayed_fsync): a machine crash
//   loses about the last 1-2 s.
// no: never fsync; the OS decides.
import fs from 'node:fs';
import { encodeCommand } from '../../resp/encode.js';
import type { WriteListener } from '../contracts.js';

export type FsyncPolicy = 'always' | 'everysec' | 'no';

export class AofWriter implements WriteListener {
  readonly path: string;
  readonly #policy: FsyncPolicy;
  #fd: number;
  #size: number;
  baseSize: number;
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
  /** bytes accepted but not yet written: always 0 (writes are synchronous) */
  get bufferLength(): number { return 0; }
  get rewriteBufferLength(): number { return this.#rewriteBufLen; }

  onWrite(argv: Buffer[]): void {
    const cmd = encodeCommand(argv);
    this.#size += cmd.length;
    if (this.#rewriteBuf !== null) { this.#rewriteBuf.push(cmd); this.#rewriteBufLen += cmd.length; }
    try {
      let off = 0;
      while (off < cmd.length) off += fs.writeSync(this.#fd, cmd, off);
      if (this.#policy === 'always') fs.fdatasyncSync(this.#fd);
      else this.#dirtySinceFsync = true;
      this.lastWriteError = null;
    } catch (err) {
      this.lastWriteError = err as Error;
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

  /**
   * Switch to a new file descriptor whose file already holds every command so far
   * (the rewritten AOF). Call synchronously right after the rename.
   */
  swapTo(fd: number, size: number): void {
    const old = this.#fd;
    this.#fd = fd;
    this.#size = size;
    this.baseSize = size;
    if (this.#fsyncing) setTimeout(() => fs.close(old, () => {}), 2000).unref();
    else fs.close(old, () => {});
  }

  /** fsync what was written (shutdown, tests). */
  async flushAndSync(): Promise<void> {
    await new Promise<void>((resolve) => fs.fdatasync(this.#fd, () => resolve()));
  }

  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.flushAndSync();
    fs.closeSync(this.#fd);
  }

  #backgroundFsync(): void {
    if (!this.#dirtySinceFsync) return;
    if (this.#fsyncing) { this.delayedFsyncs++; return; }
    this.#fsyncing = true;
    this.#dirtySinceFsync = false;
    fs.fdatasync(this.#fd, () => { this.#fsyncing = false; });
  }
}
