// The example proxy.yaml (what `npm start` / `shardgate up` run) spreads
// sequential keys evenly: as loaded by parseConfig, every server gets within
// ±10% of its share of key:1..key:10000 and of k1..k10000 on the real ring.
// The hash the example used before (fnv1a_64) does not, on the same servers.
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { parseConfig } from '../../../src/config/index.js';
import { ROOT } from '../../fixtures/procs.js';
import { SEQUENCE_LENGTH, SEQUENCES, spreadOf } from './spread.js';

const TOLERANCE = 0.10;
const example = parseConfig(fs.readFileSync(path.join(ROOT, 'proxy.yaml'), 'utf8'), 'proxy.yaml');

describe('the example proxy.yaml', () => {
  it('has three servers on one pool', () => {
    expect(example.pools.map((p) => p.servers.length)).toEqual([3]);
  });
  for (const pool of example.pools) {
    for (const [label, key] of Object.entries(SEQUENCES)) {
      it(`pool '${pool.name}' (${pool.distribution}/${pool.hash}) puts ${label} within ±10% of a share on each server`, () => {
        const { counts, worst } = spreadOf(pool, key, SEQUENCE_LENGTH);
        expect(counts.reduce((a, b) => a + b, 0)).toBe(SEQUENCE_LENGTH);
        expect(worst, `counts ${counts.join('/')}`).toBeLessThanOrEqual(TOLERANCE);
      });
    }
    it(`pool '${pool.name}': the old example hash fnv1a_64 bunches k1..k50 on these servers (so the check above can fail)`, () => {
      const { counts } = spreadOf(pool, (i) => `k${i}`, 50, 'fnv1a_64');
      expect(Math.max(...counts)).toBeGreaterThan(40);
    });
  }
});
