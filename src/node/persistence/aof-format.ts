// The append-only file format: an optional snapshot preamble (see
// snapshot-format.ts) followed by the write stream as RESP arrays of bulk
// strings, exactly as a client would send them. This module only scans bytes;
// it never opens files or runs commands (aof-load.ts does).
import { ProtocolError } from '../../errors/index.js';
import { RequestScanner } from '../../resp/request-scanner.js';
import type { RequestSink } from '../../resp/types.js';
import { ownArguments } from '../request-args.js';

/** A malformed command in the middle of an AOF; `offset` is the command's first byte in the file. */
export class AofFormatError extends Error {
  override readonly name = 'AofFormatError';
  readonly code = 'SG_ERR_AOF_FORMAT';
  constructor(message: string, readonly offset: number) { super(message); }
}

export interface AofScanResult {
  /** offset just past the last whole command */
  end: number;
  /** bytes after `end` that do not form a whole command (a truncated tail), 0 when none */
  truncatedBytes: number;
}

const STAR = 42;

/**
 * Scan RESP commands in buf[start..] and call onBatch with the commands of each
 * slice (argv copied out of buf, with each command's start offset) so the caller
 * can run them, async if need be, before the next slice is scanned.
 * A tail that is a prefix of a command is reported as truncated; anything else
 * that is not a RESP array of bulk strings throws AofFormatError.
 */
export async function scanAof(
  buf: Buffer,
  start: number,
  onBatch: (cmds: { argv: Buffer[]; offset: number }[]) => void | Promise<void>,
  sliceBytes = 1 << 20,
): Promise<AofScanResult> {
  const scanner = new RequestScanner();
  let lastEnd = start;
  let batch: { argv: Buffer[]; offset: number }[] = [];
  let sliceBase = start;
  const sink: RequestSink = {
    onRequest(b, s, e, argc, args, inline) {
      // offsets in `b` are relative to a buffer that begins at some whole-command boundary
      const fileOffset = lastEnd;
      if (inline || b[s] !== STAR) throw new AofFormatError('not a RESP array', fileOffset);
      batch.push({ argv: ownArguments(b, s, e, argc, args), offset: fileOffset });
      lastEnd = fileOffset + (e - s);
    },
  };
  while (sliceBase < buf.length) {
    const sliceEnd = Math.min(buf.length, sliceBase + sliceBytes);
    try {
      scanner.feed(buf.subarray(sliceBase, sliceEnd), sink);
    } catch (err) {
      if (err instanceof AofFormatError) throw err;
      if (err instanceof ProtocolError) throw new AofFormatError(err.message, lastEnd);
      throw err;
    }
    sliceBase = sliceEnd;
    if (batch.length > 0) {
      const cmds = batch;
      batch = [];
      await onBatch(cmds);
    }
  }
  const rest = buf.length - lastEnd;
  if (rest > 0 && buf[lastEnd] !== STAR) throw new AofFormatError('not a RESP array', lastEnd);
  return { end: lastEnd, truncatedBytes: rest };
}
