// MIGRATE of the node (Redis 7 syntax and replies): serializes the keys with
// our DUMP format, sends AUTH/AUTH2, SELECT and one RESTORE per key (relative
// TTL, as Redis does) to the target, then deletes the keys the target
// acknowledged (unless COPY) and propagates them as one DEL. While it waits for
// the target the node is held (NodeState.hold): no other client's command runs
// between reading the keys and deleting them, and active expiry pauses.
// Sockets live in ../migrate/target-links.ts; this file does not touch them.
import { ReplyError } from '../contracts.js';
import { dumpValue } from '../dump.js';
import type { NodeReply } from '../reply.js';
import { encodeCommand } from '../../resp/encode.js';
import { def, type Call, type Cmd } from './types.js';
import { E, buf, lower, parseInt64, str } from './util.js';

interface MigrateArgs {
  host: string; port: number; db: number; timeoutMs: number;
  copy: boolean; replace: boolean;
  auth: Buffer[] | null; // ['AUTH', pass] or ['AUTH', user, pass]
  keys: Buffer[];
}

const RESTORE = buf('RESTORE');
const REPLACE = buf('REPLACE');

function parse(argv: Buffer[]): MigrateArgs | ReplyError {
  const db = parseInt64(argv[4]!);
  const timeout = parseInt64(argv[5]!);
  if (db === null || timeout === null) return E.notInt;
  const a: MigrateArgs = {
    host: str(argv[1]!), port: portOf(argv[2]!), db: Number(db), timeoutMs: timeout <= 0n ? 1000 : Number(timeout),
    copy: false, replace: false, auth: null, keys: [argv[3]!],
  };
  for (let i = 6; i < argv.length; i++) {
    const o = lower(argv[i]!);
    const more = argv.length - i - 1;
    if (o === 'copy') a.copy = true;
    else if (o === 'replace') a.replace = true;
    else if (o === 'auth') {
      if (more < 1) return E.syntax;
      a.auth = [buf('AUTH'), argv[++i]!];
    } else if (o === 'auth2') {
      if (more < 2) return E.syntax;
      a.auth = [buf('AUTH'), argv[i + 1]!, argv[i + 2]!];
      i += 2;
    } else if (o === 'keys') {
      if (argv[3]!.length !== 0) return new ReplyError('ERR When using MIGRATE KEYS option, the key argument must be set to the empty string');
      a.keys = argv.slice(i + 1);
      break;
    } else return E.syntax;
  }
  return a;
}

/** Redis reads the port with atoi; anything that is not a usable port fails like a refused connection. */
function portOf(b: Buffer): number {
  const n = Number(str(b));
  return Number.isInteger(n) && n > 0 && n < 65536 ? n : 0;
}

const ioError = (phase: string): ReplyError => new ReplyError(phase === 'connecting' ? 'IOERR error or timeout connecting to the client' : `IOERR error or timeout ${phase} to target instance`);

function migrate(c: Call): NodeReply | Promise<NodeReply> {
  const a = parse(c.argv);
  if (a instanceof ReplyError) return a;
  c.prop = []; // the deletes are propagated as DEL once the target answered
  // Serialize now, while no other command can run (the node is held from here until the keys are deleted).
  const now = Date.now();
  const keys: Buffer[] = [];
  const cmds: Buffer[] = [];
  for (const k of a.keys) {
    const e = c.ks.read(str(k), now);
    if (e === undefined) continue;
    const ttl = e.exp === 0 ? 0 : Math.max(1, e.exp - now);
    keys.push(k);
    const restore = [RESTORE, k, buf(String(ttl)), dumpValue(e.t, e.v)];
    if (a.replace) restore.push(REPLACE);
    cmds.push(encodeCommand(restore));
  }
  if (keys.length === 0) return 'NOKEY';
  if (a.port === 0) return ioError('writing');
  c.node.hold(c.client);
  return transfer(c, a, keys, cmds).finally(() => c.node.release(c.client));
}

async function transfer(c: Call, a: MigrateArgs, keys: Buffer[], restores: Buffer[]): Promise<NodeReply> {
  const credentials = a.auth === null ? '' : a.auth.map((b) => b.toString('hex')).join(':');
  for (let attempt = 0; ; attempt++) {
    const link = c.node.migrateLinks.get(a.host, a.port, credentials, attempt > 0);
    const head: Buffer[] = [];
    if (a.auth !== null) head.push(encodeCommand(a.auth));
    if (link.db !== a.db) head.push(encodeCommand([buf('SELECT'), buf(String(a.db))]));
    const r = await link.exchange(Buffer.concat([...head, ...restores]), head.length + restores.length, a.timeoutMs);
    const f = r.failure;
    // like Redis: one retry on a fresh connection unless it timed out (a cached socket may have gone stale);
    // only when the target acknowledged nothing, so no RESTORE was applied twice knowingly
    if (f !== null && r.replies.length === 0 && !f.timedOut && f.phase !== 'connecting' && attempt === 0) continue;
    const headError = r.replies.slice(0, head.length).find(isError);
    let firstError = headError;
    const acked: Buffer[] = [];
    for (let j = 0; j < keys.length && head.length + j < r.replies.length; j++) {
      const rep = r.replies[head.length + j]!;
      if (headError !== undefined || isError(rep)) firstError ??= rep;
      else acked.push(keys[j]!);
    }
    link.db = f === null && firstError === undefined ? a.db : null;
    if (!a.copy) deleteLocally(c, acked);
    if (firstError !== undefined) return new ReplyError(`ERR Target instance replied with error: ${firstError.subarray(1, firstError.length - 2).toString('latin1')}`);
    if (f !== null) return ioError(f.phase);
    return 'OK';
  }
}

function deleteLocally(c: Call, keys: Buffer[]): void {
  let n = 0;
  for (const k of keys) {
    const key = str(k);
    if (c.ks.write(key) !== undefined && c.ks.delete(key)) n++;
  }
  if (n === 0) return;
  c.ks.dirty++;
  c.node.emit([buf('DEL'), ...keys]);
}

const isError = (rep: Buffer): boolean => rep[0] === 0x2d; // '-'

export function migrateCommands(): Cmd[] {
  return [def('migrate', -6, ['write'], [3, 3, 1], migrate)];
}
