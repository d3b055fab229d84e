// The benchmark harness ships its own `node --test` self-test (CSV parsing, RESP,
// CPU accounting, medians, checks, SVG); run it here so CI keeps it honest.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('benchmark harness', () => {
  it('passes its own self-test', () => {
    const r = spawnSync(process.execPath, ['--test', path.join(ROOT, 'benchmarks/selftest.mjs')], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stdout).toMatch(/# fail 0/);
    expect(r.stdout).toMatch(/# pass [1-9]/);
    expect(r.status).toBe(0);
  });
});
