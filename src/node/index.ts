// Entry point of the built-in cache node: startNode() builds the core, attaches
// persistence (loads data before accepting clients) and replication, listens,
// and runs active expiry; a SHUTDOWN command closes it (RunningNode.shutdown
// settles then: `shardgate node` exits). Used by `shardgate node`, `shardgate up` and tests.
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { createLogger } from '../log/index.js';
import type { NodeCore, NodeOptions } from './contracts.js';
import { defaultOptions } from './options.js';
import { createNodeServer } from './server.js';
import { NodeState } from './state.js';
import { attachPersistence } from './persistence/index.js';
import { attachReplication } from './replication/index.js';

export interface RunningNode {
  core: NodeCore;
  port: number;
  close(): Promise<void>;
  /** resolves once a SHUTDOWN command closed the node (never otherwise) */
  readonly shutdown: Promise<void>;
}

export async function startNode(opts: Partial<NodeOptions>, logger?: Logger): Promise<RunningNode> {
  const options: NodeOptions = { ...defaultOptions(), ...opts };
  const log = logger ?? createLogger({ name: 'shardgate-node' });
  const core = new NodeState(options);
  const scriptLog = [log.debug, log.debug, log.info, log.warn] as const;
  core.scriptLog = (level, message) => { scriptLog[level]!.call(log, { source: 'script' }, message); };
  const persistence = await attachPersistence(core, { logger: log });
  const replication = attachReplication(core, { logger: log });
  const listener = createNodeServer(core, log);
  const server = listener.server;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.bind, () => { server.off('error', reject); resolve(); });
  });
  const port = (server.address() as AddressInfo).port;
  options.port = port;
  const expiry = setInterval(() => { if (!core.held) core.keyspace.activeExpireCycle(); }, 100);
  expiry.unref();
  log.info({ port, bind: options.bind, maxmemory: options.maxmemory, policy: options.maxmemoryPolicy }, 'shardgate node ready to accept connections');
  let closing: Promise<void> | null = null;
  let shutdownDone = (): void => {};
  const shutdown = new Promise<void>((resolve) => { shutdownDone = resolve; });
  const close = (save: boolean | null = null): Promise<void> => {
    closing ??= (async () => {
      // no new commands: stop accepting and drop the clients; then flush the AOF (and the
      // snapshot on save) before replica links go; no socket is left that could keep us alive
      clearInterval(expiry);
      core.migrateLinks.closeAll();
      void listener.stopAccepting();
      core.closeAllClients();
      await persistence.close(save);
      await replication.close();
      await listener.close();
    })();
    return closing;
  };
  core.shutdownHandler = (save) => {
    log.warn({ save }, 'User requested shutdown...');
    close(save).then(() => shutdownDone(), (err: unknown) => { log.error({ err }, 'shutdown failed'); shutdownDone(); });
  };
  return { core, port, close: () => close(), shutdown };
}
