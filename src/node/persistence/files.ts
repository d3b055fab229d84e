// Durable file helpers for persistence: write-to-temp + fsync + rename +
// fsync(dir), sync or chunk by chunk. Knows nothing about formats.
import fs from 'node:fs';
import path from 'node:path';

export function fsyncDir(dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r');
    try { fs.fsyncSync(fd); } finally { fs.closeSync(fd); }
  } catch { /* some filesystems refuse fsync on a directory: the rename is still atomic */ }
}

export function tempPathFor(target: string, tag: string): string {
  return path.join(path.dirname(target), `temp-${tag}-${process.pid}-${path.basename(target)}`);
}

/** Write chunks to `target` atomically, blocking (SAVE, shutdown). */
export function writeFileAtomicSync(target: string, chunks: Buffer[]): number {
  const tmp = tempPathFor(target, 'save');
  const fd = fs.openSync(tmp, 'w');
  let size = 0;
  try {
    for (const c of chunks) { fs.writeSync(fd, c); size += c.length; }
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, target);
  fsyncDir(path.dirname(target));
  return size;
}

/** A temp file written chunk by chunk (async, off the event loop), then fsynced and renamed or dropped. */
export class TempFile {
  readonly path: string;
  readonly target: string;
  readonly fd: number;
  #size = 0;
  constructor(target: string, tag: string) {
    this.target = target;
    this.path = tempPathFor(target, tag);
    this.fd = fs.openSync(this.path, 'w');
  }
  get size(): number { return this.#size; }
  write(chunk: Buffer): Promise<void> {
    this.#size += chunk.length;
    return new Promise((resolve, reject) => writeAll(this.fd, chunk, (err) => (err ? reject(err) : resolve())));
  }
  writeSync(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length) off += fs.writeSync(this.fd, chunk, off);
    this.#size += chunk.length;
  }
  fsync(): Promise<void> {
    return new Promise((resolve, reject) => fs.fsync(this.fd, (err) => (err ? reject(err) : resolve())));
  }
  /** fsync, close, rename over the target, fsync the directory (sync: the caller wants an atomic swap point). */
  commitSync(keepOpen = false): void {
    fs.fsyncSync(this.fd);
    if (!keepOpen) fs.closeSync(this.fd);
    fs.renameSync(this.path, this.target);
    fsyncDir(path.dirname(this.target));
  }
  abort(): void {
    try { fs.closeSync(this.fd); } catch { /* closed */ }
    try { fs.unlinkSync(this.path); } catch { /* gone */ }
  }
}

/** fs.write until every byte is written. */
export function writeAll(fd: number, buf: Buffer, cb: (err: Error | null) => void, off = 0): void {
  fs.write(fd, buf, off, buf.length - off, null, (err, n) => {
    if (err) return cb(err);
    if (off + n < buf.length) return writeAll(fd, buf, cb, off + n);
    cb(null);
  });
}

export function fileSize(p: string): number {
  try { return fs.statSync(p).size; } catch { return 0; }
}
