// Shared setup of the node's side-by-side tests: one real redis-server and one
// in-process node per test file (started in beforeAll, stopped in afterAll),
// plus a helper for extra nodes that are stopped with them.
import { afterAll, beforeAll } from 'vitest';
import { pino } from 'pino';
import { startRedis, type Proc } from '../../fixtures/procs.js';
import { startNode, type RunningNode } from '../../../src/node/index.js';
import type { NodeOptions } from '../../../src/node/contracts.js';

export interface SideBySide {
  readonly redis: Proc;
  readonly node: RunningNode;
  /** another in-process node, closed (before the main one) after the file */
  extraNode(o?: Partial<NodeOptions>): Promise<RunningNode>;
}

export const silent = pino({ level: 'silent' });
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function sideBySide(): SideBySide {
  let redis: Proc | undefined;
  let node: RunningNode | undefined;
  const extra: RunningNode[] = [];
  beforeAll(async () => { redis = await startRedis(); node = await startNode({ port: 0 }, silent); });
  afterAll(async () => { for (const n of extra) await n.close(); await node?.close(); await redis?.stop(); });
  return {
    get redis() { return redis!; },
    get node() { return node!; },
    async extraNode(o = {}) { const n = await startNode({ port: 0, ...o }, silent); extra.push(n); return n; },
  };
}
