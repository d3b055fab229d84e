// docs/commands.md must be what the command table says (regenerate it with
// `npm run build && node scripts/gen-command-docs.mjs`), and every command
// must have a decision the table made on purpose.
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { renderCommandDocs } from '../../../src/commands/docs.js';
import { allCommands } from '../../../src/commands/table.js';

describe('docs/commands.md', () => {
  it('matches the command table', () => {
    const file = fs.readFileSync(new URL('../../../docs/commands.md', import.meta.url), 'utf8');
    expect(file).toBe(renderCommandDocs());
  });

  it('gives every refused command and subcommand its own reason', () => {
    for (const d of allCommands()) {
      for (const e of d.subcommands !== null ? [d, ...d.subcommands.values()] : [d]) {
        if (e.kind === 'unsupported') expect(e.reason, e.name).toMatch(/\S+ \S+ \S+/);
        if (e.kind === 'fanout') expect(e.fanout, e.name).not.toBeNull();
      }
    }
  });
});
