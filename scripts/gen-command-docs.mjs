// Writes docs/commands.md from the command table (npm run build first), so
// the list of what the proxy does with each Redis command never drifts.
import fs from 'node:fs';
import { allCommands } from '../dist/commands/table.js';

const rows = { single: [], split: [], same: [], local: [], unsupported: [] };
for (const d of allCommands()) {
  const entries = d.subcommands && d.kind !== 'local' ? [...d.subcommands.values()] : [d];
  for (const e of entries) rows[e.kind].push(e);
}
const names = (list) => list.map((d) => `\`${d.name.replace('|', ' ').toUpperCase()}\``).sort().join(', ');
const reasons = new Map();
for (const d of rows.unsupported) {
  const r = d.reason ?? 'not supported';
  if (!reasons.has(r)) reasons.set(r, []);
  reasons.get(r).push(d);
}
const out = `# Commands

What the proxy does with every Redis 7 command. Generated from the command table
(\`src/commands/table.ts\`) by \`node scripts/gen-command-docs.mjs\`; do not edit by hand.

## Forwarded by key (${rows.single.length})
The server is picked by the command's key (the pool's hash tag applies).

${names(rows.single)}

## Split per server and merged (${rows.split.length})
${names(rows.split)} — MGET keeps key order, MSET is OK when every part is, DEL/UNLINK/TOUCH/EXISTS
sum their counts. All keys on one server: forwarded untouched.

## Several keys on one server (${rows.same.length})
Forwarded when every key lands on the same server; otherwise
\`-CROSSSLOT Keys in request don't hash to the same server (use a hash tag like {user1})\`.

${names(rows.same)}

## Answered by the proxy (${rows.local.length})
${names(rows.local)}

## Not supported (${rows.unsupported.length})
Each gets \`-ERR unsupported command '<name>' (<reason>)\`; the connection stays open.

${[...reasons].map(([r, list]) => `- **${r}**: ${names(list)}`).join('\n')}
`;
fs.writeFileSync(new URL('../docs/commands.md', import.meta.url), out);
console.log('wrote docs/commands.md');
