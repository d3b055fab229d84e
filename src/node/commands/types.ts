// Shapes shared by the node's command files: the command table entry and the
// per-call context handlers receive. No behaviour here.
import type { ClientContext, NodeConnection, NO_REPLY } from '../contracts.js';
import type { Keyspace } from '../keyspace.js';
import type { NodeReply } from '../reply.js';
import type { NodeState } from '../state.js';
import type { TxnState } from '../transactions.js';

export type Flag = 'write' | 'readonly' | 'admin' | 'noscript' | 'loading' | 'stale' | 'fast' | 'denyoom' | 'pubsub' | 'noauth' | 'blocking';

export interface Call {
  /**
   * The request's arguments. They belong to the node: no one writes to them again, and each pins
   * at most an 8 KB pool slab or its own bytes (see NodeCore.execute), so a command stores a value
   * argument as it is (as redis-server keeps the argument object), without copying it.
   */
  readonly argv: Buffer[];
  readonly ks: Keyspace;
  readonly node: NodeState;
  readonly client: ClientState;
  /** rewritten commands for the write stream (replaces argv); [] = emit nothing */
  prop: Buffer[][] | null;
}

export type Handler = (c: Call) => NodeReply | Promise<NodeReply> | typeof NO_REPLY;

export interface Cmd {
  name: string;
  arity: number;
  flags: readonly Flag[];
  firstKey: number; lastKey: number; step: number;
  run: Handler;
  /** set for commands registered through NodeCore.registerCommand */
  external?: (ctx: ClientContext, argv: Buffer[], conn: NodeConnection) => ReturnType<Handler>;
  write: boolean;
  denyoom: boolean;
}

export interface ClientState extends ClientContext {
  authed: boolean;
  subs: Set<string>;
  psubs: Set<string>;
  readonly createdAt: number;
  lastCmd: string;
  libName: string;
  libVer: string;
  readonly addr: string;
  readonly laddr: string;
  /** deliver an out-of-band message (pub/sub) */
  push(bytes: NodeReply): void;
  conn: NodeConnection | null;
  close?: () => void;
  /** set between MULTI and EXEC/DISCARD */
  txn: TxnState | null;
  /** true while EXEC runs this client's queued commands (blocking commands do not block then) */
  inExec: boolean;
}

export function def(name: string, arity: number, flags: readonly Flag[], keys: [number, number, number], run: Handler): Cmd {
  return { name, arity, flags, firstKey: keys[0], lastKey: keys[1], step: keys[2], run, write: flags.includes('write'), denyoom: flags.includes('denyoom') };
}
