// A Kubernetes ConfigMap volume as the kubelet updates it: the config file
// is a symlink through `..data`, and an update writes a new timestamped
// folder and swaps the `..data` symlink by rename — the file itself is never
// written. The running proxy sees the swap and applies the new config.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../fixtures/ports.js';
import { startRedis, startShardgate, tmpDir, type Proc } from '../../fixtures/procs.js';
import { adminRequest } from '../../fixtures/admin.js';
import { until } from '../../fixtures/until.js';

let redis: Proc[];
let proxy: Proc;
let port: number;
let admin: string;
let mount: string;

const yaml = (ports: number[]) => ['alpha:', `  listen: 127.0.0.1:${port}`, '  redis: true', '  servers:', ...ports.map((p) => `    - 127.0.0.1:${p}:1`), ''].join('\n');

/** What the kubelet does: a new data folder, then `..data` swapped to it by one rename. */
function publish(version: number, text: string): void {
  const data = path.join(mount, `..2026_12_01_00_00_0${version}.000`);
  fs.mkdirSync(data);
  fs.writeFileSync(path.join(data, 'proxy.yaml'), text);
  const tmp = path.join(mount, '..data_tmp');
  fs.symlinkSync(path.basename(data), tmp);
  fs.renameSync(tmp, path.join(mount, '..data'));
}

beforeAll(async () => {
  redis = await Promise.all([0, 1].map(() => startRedis()));
  port = await freePort();
  admin = `127.0.0.1:${await freePort()}`;
  mount = tmpDir('shardgate-configmap-');
  publish(1, yaml([redis[0]!.port]));
  fs.symlinkSync('..data/proxy.yaml', path.join(mount, 'proxy.yaml'));
  proxy = await startShardgate(['proxy', '-c', path.join(mount, 'proxy.yaml'), '--admin', admin, '-s', '0'], port);
  await until('the admin API answers', async () => (await adminRequest(admin, 'GET', '/healthz').catch(() => ({ status: 0 }))).status === 200);
});
afterAll(async () => {
  await proxy?.stop();
  await Promise.all((redis ?? []).map((r) => r.stop()));
});

describe('a ConfigMap mount', () => {
  it('applies the config the kubelet swaps in', async () => {
    expect((await adminRequest(admin, 'GET', '/ring')).body.pools.alpha.servers).toHaveLength(1);
    publish(2, yaml([redis[0]!.port, redis[1]!.port]));
    await until('the second server in the ring', async () => (await adminRequest(admin, 'GET', '/ring')).body.pools.alpha.servers.length === 2, 10_000);
    // The ring changes before the controller logs the applied config (the log line follows the data plane's answer).
    expect(await proxy.waitForOutput('config applied (file)')).toContain('config applied (file)');
  });
});
