// The transaction commands of the node; the state and EXEC's execution live in
// ../transactions.ts and NodeState.exec. No behaviour of their own here.
import { def, type Cmd } from './types.js';

export function transactionCommands(): Cmd[] {
  const none: [number, number, number] = [0, 0, 0];
  const flags = ['noscript', 'loading', 'stale', 'fast'] as const;
  return [
    def('multi', 1, flags, none, (c) => c.node.txn.multi(c.client)),
    def('exec', 1, ['noscript', 'loading', 'stale'], none, (c) => c.node.exec(c.client)),
    def('discard', 1, flags, none, (c) => c.node.txn.discard(c.client)),
    def('watch', -2, flags, [1, -1, 1], (c) => c.node.txn.watch(c.client, c.argv.slice(1))),
    def('unwatch', 1, flags, none, (c) => { c.node.txn.unwatch(c.client); return 'OK'; }),
  ];
}
