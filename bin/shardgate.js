#!/usr/bin/env node
// Entry point of the `shardgate` command: runs the compiled CLI in dist/.
// Installs build it (`npm ci` runs the `prepare` script; a packed tarball
// ships dist/), so the message below means a checkout that was copied
// without `npm ci`, or installed with --ignore-scripts.
import('../dist/cli/main.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/cli/main.js')) {
    process.stderr.write('shardgate: dist/ is not built; run `npm ci` (or `npm run build`) in this checkout\n');
    process.exit(1);
  }
  throw err;
});
