// The rule: importing and using `shardgate/client` leaves the
// application's process as it was. A fresh node process records what is
// process-wide (listeners on `process`, the globals, net.Socket's and
// Buffer's prototypes, Buffer.poolSize, EventEmitter defaults), imports the
// client through the package's exports, uses it against a real redis-server
// (commands, a split MGET, pub/sub, a blocking command), quits, and checks
// nothing of that changed; then it must exit by itself, which it only does
// when the client left no socket, timer or watcher behind. The fixed-servers
// form changes nothing at all; the config-file form loads the proxy's config
// parser, whose zod puts exactly its two shared globals on globalThis
// (`__zod_globalConfig`, `__zod_globalRegistry`, created only when absent) —
// checked to be the only difference.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, startRedis, tmpDir, type Proc } from '../../fixtures/procs.js';

let redis: Proc[] = [];
beforeAll(async () => { redis = await Promise.all([0, 1].map(() => startRedis())); });
afterAll(async () => { await Promise.all(redis.map((r) => r.stop())); });

const SCRIPT = `
import net from 'node:net';
import { EventEmitter } from 'node:events';
const snap = () => JSON.stringify({
  process: ['exit', 'beforeExit', 'SIGINT', 'SIGTERM', 'SIGHUP', 'uncaughtException', 'unhandledRejection', 'warning'].map((e) => process.listenerCount(e)),
  globals: Object.getOwnPropertyNames(globalThis).sort(),
  socket: Object.getOwnPropertyNames(net.Socket.prototype).sort(),
  buffer: Object.getOwnPropertyNames(Buffer.prototype).sort(),
  poolSize: Buffer.poolSize, maxListeners: EventEmitter.defaultMaxListeners, captureRejections: EventEmitter.captureRejections,
});
const before = snap();
const { createClient } = await import('shardgate/client');
async function use(c) {
  const keys = Array.from({ length: 30 }, (_, i) => 'iso:' + i);
  await c.mset(keys.map((k) => [k, k]));
  const got = await c.mget(keys);
  if (got.join() !== keys.join()) throw new Error('mget: ' + got);
  let message = null;
  await c.subscribe('iso:ch', (m) => { message = m.message; });
  await c.psubscribe('iso:*', () => {});
  await c.publish('iso:ch', 'hello');
  while (message === null) await new Promise((r) => setTimeout(r, 10));
  if ((await c.blpop('iso:list', 0.1)) !== null) throw new Error('blpop');
  await c.quit();
}
await use(await createClient({ servers: JSON.parse(process.env.SERVERS) }));
const afterServers = snap();
await use(await createClient({ config: process.env.CONFIG, pool: 'p', watch: true }));
const afterConfig = JSON.parse(snap());
const b = JSON.parse(before);
const addedGlobals = afterConfig.globals.filter((g) => !b.globals.includes(g));
const removedGlobals = b.globals.filter((g) => !afterConfig.globals.includes(g));
afterConfig.globals = b.globals;
process.stdout.write(JSON.stringify({ servers: afterServers === before, configOtherwise: JSON.stringify(afterConfig) === before, addedGlobals, removedGlobals }));
`;

describe('shardgate/client in an application', () => {
  it('leaves process-wide state as it was and lets the process exit by itself after quit()', async () => {
    const servers = redis.map((r, i) => `127.0.0.1:${r.port}:1 s${i}`);
    const config = path.join(tmpDir('shardgate-client-iso-'), 'proxy.yaml');
    fs.writeFileSync(config, ['p:', '  listen: 127.0.0.1:1', '  redis: true', '  servers:', ...servers.map((l) => `    - ${l}`), ''].join('\n'));
    const child = spawn(process.execPath, ['--input-type=module', '-e', SCRIPT], { cwd: ROOT, env: { ...process.env, SERVERS: JSON.stringify(servers), CONFIG: config } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    const code = await new Promise<number | string>((resolve) => {
      const t = setTimeout(() => { child.kill('SIGKILL'); resolve('did not exit within 15 s after quit()'); }, 15_000);
      child.once('exit', (c) => { clearTimeout(t); resolve(c ?? -1); });
    });
    expect(code, err).toBe(0);
    expect(JSON.parse(out)).toEqual({ servers: true, configOtherwise: true, addedGlobals: ['__zod_globalConfig', '__zod_globalRegistry'], removedGlobals: [] });
  }, 30_000);
});
