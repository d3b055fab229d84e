// The package as npm ships it: `npm pack` lists only what running shardgate
// needs, and the tarball installed into a scratch folder (locally and with
// `npm i -g`) runs `shardgate --version`, `--help` and a proxy in front of a
// real redis-server. Packs with --ignore-scripts: the dist/ that `npm test`
// built is what goes in (a real `npm pack` cleans and rebuilds it first).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, startProcess, startRedis, tmpDir, type Proc } from '../fixtures/procs.js';
import { freePort } from '../fixtures/ports.js';
import { command } from '../fixtures/resp-client.js';
import { cleanEnv, compiledModules, npm, PACKAGE } from './install-helpers.js';

// What the package may hold: the compiled CLI, its entry point, the example config, the docs, and npm's own files.
const ALLOWED = [/^dist\/.+\.js$/, /^bin\/shardgate\.js$/, /^docs\/[\w-]+\.md$/, /^proxy\.yaml$/, /^README\.md$/, /^LICENSE$/, /^package\.json$/];

function run(bin: string, args: string[]): string {
  return execFileSync(bin, args, { encoding: 'utf8', env: cleanEnv(), timeout: 20_000 });
}

describe('the packed package', () => {
  const scratch = tmpDir('shardgate-pack-');
  let tarball = '';
  let files: string[] = [];

  beforeAll(() => {
    const out = JSON.parse(npm(ROOT, ['pack', '--ignore-scripts', '--json', '--pack-destination', scratch])) as { filename: string; files: { path: string }[] }[];
    tarball = path.join(scratch, out[0]!.filename);
    files = out[0]!.files.map((f) => f.path).sort();
  }, 60_000);
  afterAll(() => { fs.rmSync(scratch, { recursive: true, force: true }); });

  it('lists only what running shardgate needs, and every compiled module', () => {
    const stray = files.filter((f) => !ALLOWED.some((re) => re.test(f)));
    expect(stray, 'files outside dist/ bin/ docs/ and the top-level files').toEqual([]);
    for (const dir of ['src/', 'test/', 'benchmarks/', 'deploy/', 'scripts/', '.ci/']) {
      expect(files.filter((f) => f.startsWith(dir)), `${dir} in the package`).toEqual([]);
    }
    const missing = compiledModules().filter((m) => !files.includes(m));
    expect(missing, 'modules of src/ whose compiled file is not packed').toEqual([]);
    expect(files).toContain('bin/shardgate.js');
    expect(files).toContain('proxy.yaml');
  });

  describe('installed from the tarball', () => {
    const project = path.join(scratch, 'app');
    const global = path.join(scratch, 'global');
    let redis: Proc;
    beforeAll(async () => {
      fs.mkdirSync(project);
      fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'scratch-app', version: '1.0.0', private: true }));
      // --prefer-offline: the dependencies come from the local npm cache when it has them.
      npm(project, ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball]);
      npm(scratch, ['install', '-g', '--prefix', global, '--prefer-offline', '--no-audit', '--no-fund', tarball]);
      redis = await startRedis();
    }, 180_000);

    it('`npx shardgate --version` and `--help` work in a project that depends on it', () => {
      expect(npm(project, ['shardgate', '--version'], 60_000, 'npx').trim()).toBe(PACKAGE.version);
      const help = npm(project, ['shardgate', '--help'], 60_000, 'npx');
      for (const sub of ['proxy', 'node', 'up']) expect(help).toMatch(new RegExp(`^\\s+${sub}\\b`, 'm'));
    }, 120_000);

    it('`npm i -g` of the tarball puts a working `shardgate` on the PATH', () => {
      const bin = path.join(global, 'bin', 'shardgate');
      expect(run(bin, ['--version']).trim()).toBe(PACKAGE.version);
      expect(run(bin, ['--help'])).toContain('Usage: shardgate');
      expect(fs.realpathSync(bin).startsWith(fs.realpathSync(global)), 'the global bin runs the installed copy, not this checkout').toBe(true);
    }, 60_000);

    it('runs a proxy that sets and gets through a real redis-server', async () => {
      const listen = await freePort();
      const conf = path.join(project, 'proxy.yaml');
      fs.writeFileSync(conf, ['alpha:', `  listen: 127.0.0.1:${listen}`, '  redis: true', '  servers:', `   - 127.0.0.1:${redis.port}:1`, ''].join('\n'));
      const bin = path.join(project, 'node_modules', '.bin', 'shardgate');
      const proxy = await startProcess(bin, ['proxy', '-c', conf, '-s', '0'], { port: listen, cwd: project, env: cleanEnv() });
      try {
        expect(await command(listen, 'SET', 'pack:key', 'from-the-tarball')).toBe('OK');
        expect((await command(listen, 'GET', 'pack:key'))?.toString()).toBe('from-the-tarball');
        // The value is in redis-server itself, not somewhere in the proxy.
        expect((await command(redis.port, 'GET', 'pack:key'))?.toString()).toBe('from-the-tarball');
      } finally {
        await proxy.stop();
      }
    }, 60_000);
  });
});
