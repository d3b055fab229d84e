// Helpers for the install tests: run npm as a user would, with the caller's
// npm_* environment (set when the suite runs under `npm test`) removed so a
// child npm reads only its own folder, and list the package's files.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../fixtures/procs.js';

export function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')));
}

/** Run npm (or npx) in `cwd`; returns stdout, throws with stderr on a non-zero exit. */
export function npm(cwd: string, args: string[], timeoutMs = 120_000, bin: 'npm' | 'npx' = 'npm'): string {
  try {
    return execFileSync(bin, args, { cwd, env: cleanEnv(), encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${bin} ${args.join(' ')} in ${cwd} failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

export const PACKAGE = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };

/** Every module under src/ as the dist/ file the build makes of it. */
export function compiledModules(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      const rel = `${dir}/${e.name}`;
      if (e.isDirectory()) walk(rel);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(rel.replace(/^src\//, 'dist/').replace(/\.ts$/, '.js'));
    }
  };
  walk('src');
  return out.sort();
}
