import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { allCommands, lookupCommand, lookupCommandBytes } from '../../../src/commands/table.js';

describe('lookupCommandBytes', () => {
  it('finds every command in any letter case, inside a larger buffer', () => {
    for (const def of allCommands()) {
      for (const spelled of [def.name, def.name.toUpperCase(), def.name[0].toUpperCase() + def.name.slice(1)]) {
        const buf = Buffer.from(`xx${spelled}yy`, 'latin1');
        expect(lookupCommandBytes(buf, 2, 2 + spelled.length)).toBe(def);
      }
    }
  });
  it('agrees with the string lookup on random names', () => {
    fc.assert(fc.property(fc.string({ unit: fc.constantFrom('g', 'E', 't', 's', 'x', 'm', 'D', 'e', 'l', '_', '|', '\u00e7'), maxLength: 8 }), (name) => {
      const buf = Buffer.from(name, 'latin1');
      expect(lookupCommandBytes(buf, 0, buf.length)).toBe(lookupCommand(buf.toString('latin1').toLowerCase()));
    }), { numRuns: 2000 });
  });
});
