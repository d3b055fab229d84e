// Replication of `shardgate node`: attachReplication() registers REPLICAOF /
// SLAVEOF, ROLE, WAIT, PSYNC, SYNC, REPLCONF and the INFO replication section
// (Redis field names), and owns the role switch (master <-> replica). The
// master side is master.ts, the link to a master is replica.ts.
import type { Logger } from 'pino';
import { createLogger } from '../../log/index.js';
import { NO_REPLY, ReplyError, type CommandSpec, type NodeCore } from '../contracts.js';
import { MasterSide } from './master.js';
import { ReplicaLink } from './replica.js';

export interface ReplicationHandle {
  readonly role: 'master' | 'slave';
  /** follow a master (null = become a master, keeping the data) */
  replicaOf(target: { host: string; port: number } | null): void;
  close(): Promise<void>;
}

const none = { firstKey: 0, lastKey: 0, step: 0 } as const;

export function attachReplication(core: NodeCore, opts: { logger?: Logger } = {}): ReplicationHandle {
  const log = opts.logger ?? createLogger({ name: 'shardgate-node-replication' });
  const master = new MasterSide(core, log);
  const unsub = core.addWriteListener(master);
  let link: ReplicaLink | null = null;

  const replicaOf = (target: { host: string; port: number } | null): void => {
    if (target === null) {
      if (link === null) return;
      link.stop();
      link = null;
      master.promote();
      core.setReadOnly(false);
      log.info({ replid: master.replid }, 'MASTER MODE enabled');
      return;
    }
    link?.stop();
    master.dropAll();
    master.following = true;
    core.setReadOnly(true);
    link = new ReplicaLink(core, master, target.host, target.port, log);
    link.start();
    log.info({ master: `${target.host}:${target.port}` }, 'REPLICAOF enabled');
  };

  const cmd = (spec: Omit<CommandSpec, 'firstKey' | 'lastKey' | 'step'>): void => core.registerCommand({ ...spec, ...none });
  const replicaofHandler: CommandSpec['handler'] = (_ctx, argv) => {
    const host = argv[1]!.toString();
    const portArg = argv[2]!.toString();
    if (host.toLowerCase() === 'no' && portArg.toLowerCase() === 'one') {
      replicaOf(null);
      return 'OK';
    }
    const port = Number(portArg);
    if (!Number.isInteger(port) || port < 0 || port > 65535) return new ReplyError('ERR Invalid master port');
    if (link !== null && link.host === host && link.port === port) return 'OK Already connected to specified master';
    replicaOf({ host, port });
    return 'OK';
  };
  cmd({ name: 'replicaof', arity: 3, flags: ['admin', 'noscript', 'stale'], handler: replicaofHandler });
  cmd({ name: 'slaveof', arity: 3, flags: ['admin', 'noscript', 'stale'], handler: replicaofHandler });

  cmd({
    name: 'role', arity: 1, flags: ['noscript', 'loading', 'stale', 'fast'],
    handler() {
      if (link !== null) return ['slave', Buffer.from(link.host), link.port, link.state, link.linkUp ? master.offset : -1];
      return ['master', master.offset, [...master.replicas].map((r) => [Buffer.from(r.ip), Buffer.from(String(r.port)), Buffer.from(String(r.ackOffset))])];
    },
  });

  cmd({
    name: 'wait', arity: 3, flags: ['noscript'],
    handler(_ctx, argv) {
      if (link !== null) return new ReplyError('ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.');
      const n = Number(argv[1]!.toString());
      const t = Number(argv[2]!.toString());
      if (!Number.isInteger(n) || n < 0) return new ReplyError('ERR value is out of range, must be positive');
      if (!Number.isInteger(t) || t < 0) return new ReplyError('ERR timeout is negative');
      return master.wait(n, t);
    },
  });

  const psyncHandler: CommandSpec['handler'] = (_ctx, argv, conn) => {
    const isSync = argv[0]!.toString('latin1').toLowerCase() === 'sync';
    if (link !== null && !link.linkUp) return new ReplyError('NOMASTERLINK Can\'t SYNC while not connected with my master');
    if (isSync) { master.psync(conn, null, -1); return NO_REPLY; }
    const id = argv[1]!.toString('latin1');
    const off = Number(argv[2]!.toString('latin1'));
    master.psync(conn, id === '?' ? '?' : id, Number.isFinite(off) ? off : -1);
    return NO_REPLY;
  };
  cmd({ name: 'psync', arity: -3, flags: ['admin', 'noscript'], handler: psyncHandler });
  cmd({ name: 'sync', arity: 1, flags: ['admin', 'noscript'], handler: psyncHandler });
  cmd({
    name: 'replconf', arity: -1, flags: ['admin', 'noscript', 'loading', 'stale'],
    handler(_ctx, argv, conn) {
      const r = master.replconf(conn, argv);
      return r === null ? NO_REPLY : r;
    },
  });

  core.registerInfoSection('replication', () => {
    const out: Record<string, string | number> = {};
    if (link !== null) {
      out.role = 'slave';
      out.master_host = link.host;
      out.master_port = link.port;
      out.master_link_status = link.linkUp ? 'up' : 'down';
      out.master_last_io_seconds_ago = link.linkUp ? Math.floor((Date.now() - link.lastIo) / 1000) : -1;
      out.master_sync_in_progress = link.state === 'sync' ? 1 : 0;
      out.slave_read_repl_offset = master.offset;
      out.slave_repl_offset = master.offset;
      if (link.state === 'sync') {
        out.master_sync_total_bytes = link.syncTotal;
        out.master_sync_read_bytes = link.syncRead;
        out.master_sync_left_bytes = link.syncTotal - link.syncRead;
      }
      if (!link.linkUp) out.master_link_down_since_seconds = Math.floor((Date.now() - link.downSince) / 1000);
      out.slave_priority = 100;
      out.slave_read_only = 1;
      out.replica_announced = 1;
    } else {
      out.role = 'master';
    }
    out.connected_slaves = master.replicas.size;
    let i = 0;
    const now = Date.now();
    for (const r of master.replicas) {
      out[`slave${i++}`] = `ip=${r.ip},port=${r.port},state=${r.state},offset=${r.ackOffset},lag=${Math.floor((now - r.ackTime) / 1000)}`;
    }
    out.master_failover_state = 'no-failover';
    out.sync_full = master.syncFull; // (Redis has these three in INFO stats)
    out.sync_partial_ok = master.syncPartialOk;
    out.sync_partial_err = master.syncPartialErr;
    out.master_replid = master.replid;
    out.master_replid2 = master.replid2;
    out.master_repl_offset = master.offset;
    out.second_repl_offset = master.secondOffset;
    out.repl_backlog_active = master.backlog !== null ? 1 : 0;
    out.repl_backlog_size = master.backlog?.capacity ?? 1048576;
    out.repl_backlog_first_byte_offset = master.backlog ? master.backlog.startOffset + 1 : 0;
    out.repl_backlog_histlen = master.backlog?.histlen ?? 0;
    return out;
  });

  if (core.options.replicaof) replicaOf(core.options.replicaof);

  return {
    get role() { return link !== null ? 'slave' as const : 'master' as const; },
    replicaOf,
    async close() {
      link?.stop();
      link = null;
      master.close();
      unsub();
    },
  };
}
