// A fresh checkout as a new user gets it: the tracked files copied into a
// scratch folder, `npm ci` (whose `prepare` builds dist/), then `npx shardgate`
// and `npm i -g .` work with no other step. The dependencies come from the
// local npm cache when it has them (--prefer-offline), still ~30 s.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, tmpDir } from '../fixtures/procs.js';
import { cleanEnv, npm, PACKAGE } from './install-helpers.js';

describe('a fresh checkout', () => {
  const scratch = tmpDir('shardgate-clone-');
  const checkout = path.join(scratch, 'shardgate');
  const global = path.join(scratch, 'global');

  beforeAll(() => {
    // What a clone holds: the files git tracks (and new ones not ignored), as they are in this work tree.
    const tracked = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' })
      .split('\0').filter((f) => f !== '' && f !== 'node_modules' && fs.existsSync(path.join(ROOT, f)) && fs.statSync(path.join(ROOT, f)).isFile());
    for (const f of tracked) {
      fs.mkdirSync(path.dirname(path.join(checkout, f)), { recursive: true });
      fs.copyFileSync(path.join(ROOT, f), path.join(checkout, f));
    }
    expect(fs.existsSync(path.join(checkout, 'dist')), 'dist/ is not in the checkout').toBe(false);
    npm(checkout, ['ci', '--prefer-offline', '--no-audit', '--no-fund'], 240_000);
  }, 300_000);
  afterAll(() => { fs.rmSync(scratch, { recursive: true, force: true }); });

  it('`npm ci && npx shardgate --version` works (npm ci built dist/)', () => {
    expect(npm(checkout, ['shardgate', '--version'], 60_000, 'npx').trim()).toBe(PACKAGE.version);
    expect(npm(checkout, ['shardgate', '--help'], 60_000, 'npx')).toContain('Usage: shardgate');
    expect(fs.existsSync(path.join(checkout, 'dist/cli/main.js'))).toBe(true);
  }, 120_000);

  it('`npm i -g .` from the installed checkout puts a working `shardgate` on the PATH', () => {
    npm(checkout, ['install', '-g', '--prefix', global, '--prefer-offline', '--no-audit', '--no-fund', '.'], 120_000);
    const out = execFileSync(path.join(global, 'bin', 'shardgate'), ['--version'], { encoding: 'utf8', env: cleanEnv() });
    expect(out.trim()).toBe(PACKAGE.version);
  }, 180_000);
});
