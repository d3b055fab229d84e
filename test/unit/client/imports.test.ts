// `shardgate/client` must not load the proxy's process-wide state (src/proxy/:
// the shared socket read buffer, request free lists, flush batches) nor the
// control plane's runtime. Checked two ways: the static import graph of
// src/client/ (runtime imports only; `import type` is erased), and a real
// `import('shardgate/client')` through the package's exports in a fresh node
// process whose loaded modules are recorded by a resolve hook.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../fixtures/procs.js';

const FORBIDDEN = /^src\/(proxy|control\/(controller|runtime|migration|admin-routes)|cluster|node|cli|stats|migration)\//;

function runtimeImports(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/^\s*(import|export)\s+(?!type\s)[^'";]*?from\s+'(\.[^']+)'/gm)) out.push(m[2]!);
  for (const m of text.matchAll(/import\(\s*'(\.[^']+)'\s*\)/g)) out.push(m[1]!);
  return out.map((spec) => path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts')));
}

describe('shardgate/client imports', () => {
  it('statically reaches no module of the proxy, the control runtime or the node', () => {
    const seen = new Set<string>();
    const todo = [path.join(ROOT, 'src/client/index.ts')];
    while (todo.length > 0) {
      const f = todo.pop()!;
      if (seen.has(f)) continue;
      seen.add(f);
      todo.push(...runtimeImports(f));
    }
    const rel = [...seen].map((f) => path.relative(ROOT, f));
    expect(rel).toContain('src/ring/index.ts');
    expect(rel).toContain('src/commands/table.ts');
    expect(rel).toContain('src/topology/topology.ts');
    expect(rel.filter((f) => FORBIDDEN.test(f))).toEqual([]);
  });

  it('loads through the package exports with no module under dist/proxy/ and its typings published', () => {
    const hook = `data:text/javascript,${encodeURIComponent(`
      export async function resolve(s, c, next) { const r = await next(s, c); if (r.url.startsWith('file:')) process.stderr.write('LOADED ' + r.url + '\\n'); return r; }`)}`;
    const boot = `data:text/javascript,${encodeURIComponent(`import { register } from 'node:module'; register(${JSON.stringify(hook)});`)}`;
    const r = spawnSync(process.execPath, ['--import', boot, '--input-type=module', '-e',
      "const m = await import('shardgate/client'); process.stdout.write(Object.keys(m).sort().join(','));"],
    { cwd: ROOT, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.split(',')).toEqual(expect.arrayContaining(['createClient', 'ShardgateClient', 'NodeError', 'ReplyError', 'RequestError']));
    const loaded = [...r.stderr.matchAll(/^LOADED file:\/\/(.*)$/gm)].map((m) => path.relative(ROOT, m[1]!));
    expect(loaded).toContain('dist/client/index.js');
    expect(loaded).toContain('dist/ring/index.js');
    expect(loaded.filter((f) => f.startsWith('dist/') && FORBIDDEN.test(f.replace(/^dist\//, 'src/')))).toEqual([]);
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, { types: string }>; bin: Record<string, string> };
    expect(fs.existsSync(path.join(ROOT, pkg.exports['./client']!.types))).toBe(true);
    expect(fs.existsSync(path.join(ROOT, pkg.bin.shardgate!))).toBe(true);
  });
});
