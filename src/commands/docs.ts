// docs/commands.md rendered from the command table: what the proxy does with
// every Redis command, by kind. scripts/gen-command-docs.mjs writes it; a test
// fails when the file and the table drift apart. Pure text, no I/O.
import { allCommands, type CommandDef } from './table.js';
import type { CommandKind, FanoutKind } from './types.js';

const MERGE_TEXT: Record<FanoutKind, string> = {
  sum: 'the sum of the servers\' counts',
  concat: 'the servers\' arrays concatenated',
  'all-ok': 'OK when every server said OK',
  agree: 'the reply every server gave (an error if they differ)',
  and: 'per script, 1 only when every server has it',
  'any-ok': 'OK when one server had something to kill',
  random: 'the key of a server picked at random (the next one when it is empty)',
  info: 'the proxy\'s own sections, with the servers\' Keyspace, Memory and Stats fields summed',
};

const name = (d: CommandDef) => `\`${d.name.replace('|', ' ').toUpperCase()}\``;
const names = (list: CommandDef[]) => list.map(name).sort().join(', ');

export function renderCommandDocs(): string {
  const rows = new Map<CommandKind, CommandDef[]>();
  for (const d of allCommands()) {
    const entries = d.subcommands !== null ? [...d.subcommands.values()] : [d];
    for (const e of entries) {
      const list = rows.get(e.kind) ?? [];
      list.push(e);
      rows.set(e.kind, list);
    }
  }
  const of = (k: CommandKind) => rows.get(k) ?? [];
  const count = (k: CommandKind) => of(k).length;
  const fanout = new Map<FanoutKind, CommandDef[]>();
  for (const d of of('fanout')) fanout.set(d.fanout!, [...(fanout.get(d.fanout!) ?? []), d]);
  const reasons = new Map<string, CommandDef[]>();
  for (const d of of('unsupported')) reasons.set(d.reason ?? 'not supported', [...(reasons.get(d.reason ?? 'not supported') ?? []), d]);
  const total = [...rows.values()].reduce((n, l) => n + l.length, 0);
  return `# Commands

What the proxy does with every Redis 7 command and subcommand (${total} in all). Generated from
the command table (\`src/commands/table.ts\`) by \`node scripts/gen-command-docs.mjs\`; do not edit
by hand (a test fails when this file and the table disagree).

## Forwarded by key (${count('single')})
The server is picked by the command's key (the pool's hash tag applies).

${names(of('single'))}

## Split per server and merged (${count('split')})
${names(of('split'))} — MGET keeps key order, MSET is OK when every part is, DEL/UNLINK/TOUCH/EXISTS
sum their counts. All keys on one server: forwarded untouched.

## Several keys on one server (${count('same')})
Forwarded when every key lands on the same server; otherwise
\`-CROSSSLOT Keys in request don't hash to the same server (use a hash tag like {user1})\`.
Scripts and functions (EVAL, EVALSHA, FCALL…) are routed by their keys; a script without keys is refused.

${names(of('same'))}

## Blocking, on a dedicated connection (${count('blocking')})
All keys on one server; sent on a connection of its own for the block (the pool \`timeout\` does not
cut it short; a client that disconnects releases it at once). XREAD / XREADGROUP without BLOCK are
forwarded like the commands above.

${names(of('blocking'))}

## Transactions, pinned to one server (${count('transaction')})
The first keyed command (or WATCH) picks the server; a later command for another server is refused
and EXEC answers \`-EXECABORT\`.

${names(of('transaction'))}

## Pub/sub (${count('pubsub') + count('publish')})
Channels are placed on the ring by name; PUBLISH / SPUBLISH go where their subscribers are; patterns
are subscribed on every server. PUBSUB introspection counts this proxy's subscribers.
Channels named \`__shardgate__:…\` are the proxy's own.

${names([...of('pubsub'), ...of('publish')])}

## Sent to every server and merged (${count('fanout')})
${[...fanout].map(([k, list]) => `- ${names(list)}: ${MERGE_TEXT[k]}`).join('\n')}

## SCAN over every server (${count('scan')})
${names(of('scan'))}: the cursor encodes the server, so a full iteration walks each server once.

## Sent to one live server (${count('any')})
The same on every server.

${names(of('any'))}

## Answered by the proxy (${count('local')})
${names(of('local'))}

## Not supported (${count('unsupported')})
Each gets \`-ERR unsupported command '<name>' (<reason>)\`; the connection stays open.

${[...reasons].map(([r, list]) => `- **${r}**: ${names(list)}`).join('\n')}
`;
}
