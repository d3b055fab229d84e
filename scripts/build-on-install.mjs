// The `prepare` script: `npm ci` / `npm install` in a checkout, `npm pack` and
// `npm publish` compile src/ to dist/ here, so `npx shardgate` works with no
// build step of its own. `--clean` (the `prepack` script) removes dist/ first,
// so a packed tarball never carries a module whose source is gone. Must not do
// anything but run the package's `build` script.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const require = createRequire(path.join(root, 'package.json'));

function hasTypeScript() {
  try { require.resolve('typescript/package.json'); return true; } catch { return false; }
}

if (!hasTypeScript()) {
  // An install without devDependencies (`npm ci --omit=dev`, `npm i -g .` in an uninstalled checkout).
  if (fs.existsSync(path.join(dist, 'cli/main.js'))) process.exit(0);
  process.stderr.write('shardgate: dist/ is not built and TypeScript (a devDependency) is not installed here;\n'
    + '  run `npm ci` in this checkout first (it builds dist/), or install a packed tarball (`npm pack`).\n');
  process.exit(1);
}
if (process.argv.includes('--clean')) fs.rmSync(dist, { recursive: true, force: true });
// npm_execpath is the npm running this lifecycle script; fall back to `npm` on PATH.
const npm = process.env.npm_execpath;
const r = npm
  ? spawnSync(process.execPath, [npm, 'run', 'build', '--silent'], { cwd: root, stdio: 'inherit' })
  : spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
