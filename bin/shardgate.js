#!/usr/bin/env node
// Entry point of the `shardgate` command: runs the compiled CLI (npm run build).
import('../dist/cli/main.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/cli/main.js')) {
    process.stderr.write('shardgate: not built yet; run `npm run build` first\n');
    process.exit(1);
  }
  throw err;
});
