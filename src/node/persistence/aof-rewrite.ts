// Background AOF rewrite: a new base (a point-in-time snapshot, the hybrid
// preamble) written in slices to a temp file, then the commands that arrived
// meanwhile, then an atomic rename over the AOF. Clients keep being served:
// the only blocking part is the final few commands, one fsync and the rename.
// Does not decide WHEN to rewrite (persistence.ts does).
import type { KeyspaceSnapshotSource } from '../contracts.js';
import type { AofWriter } from './aof-writer.js';
import { TempFile } from './files.js';
import { SnapshotJob, type CowHub, type SnapshotResult } from './snapshot-job.js';

const FINAL_SYNC_BYTES = 64 * 1024;

export async function rewriteAof(
  keyspace: KeyspaceSnapshotSource,
  hub: CowHub,
  writer: AofWriter | null,
  aofPath: string,
  aux: Record<string, string>,
): Promise<SnapshotResult & { size: number }> {
  const tmp = new TempFile(aofPath, 'rewriteaof');
  writer?.beginRewriteBuffer();
  const job = new SnapshotJob(keyspace, hub, (c) => tmp.write(c), { aux });
  try {
    const res = await job.run();
    if (writer === null) {
      tmp.commitSync();
      return { ...res, size: tmp.size };
    }
    // catch up with the commands written meanwhile, a few rounds, without blocking
    for (let round = 0; round < 20 && writer.rewriteBufferLength > FINAL_SYNC_BYTES; round++) {
      const b = writer.takeRewriteBuffer();
      await tmp.write(Buffer.concat(b));
    }
    await tmp.fsync();
    // from here on: synchronous, no command can run until the swap is done
    const rest = writer.takeRewriteBuffer();
    if (rest.length > 0) tmp.writeSync(Buffer.concat(rest));
    writer.endRewriteBuffer();
    tmp.commitSync(true);
    writer.swapTo(tmp.fd, tmp.size);
    return { ...res, size: tmp.size };
  } catch (err) {
    job.cancel();
    writer?.endRewriteBuffer();
    tmp.abort();
    throw err;
  }
}
