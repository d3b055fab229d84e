// The status page in a real headless Chromium (Debian's chromium, driven by
// playwright-core): the ring, the node table, the charts and the event list
// render from the running proxy and update live — a backend killed under
// traffic is ejected and the page shows it down. Saves a screenshot under
// test-results/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { freePort } from '../fixtures/ports.js';
import { ROOT, startRedis, startShardgate, tmpDir, type Proc } from '../fixtures/procs.js';
import { RespClient } from '../fixtures/resp-client.js';
import { adminRequest, waitForAdmin } from '../fixtures/admin.js';
import { until } from '../fixtures/until.js';

const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
const OUT = path.join(ROOT, 'test-results');

let redis: Proc[];
let proxy: Proc;
let browser: Browser;
let admin: string;
let port: number;
let traffic: { stop(): Promise<void> } | null = null;

/** GETs and SETs over many keys (every server gets some) until stopped; errors are expected once a server dies. */
function startTraffic(): { stop(): Promise<void> } {
  let running = true;
  const loop = (async () => {
    let c = await RespClient.connect(port);
    for (let i = 0; running; i++) {
      if (c.closed) c = await RespClient.connect(port);
      const k = `page:${i % 200}`;
      await c.raw(i % 3 === 0 ? ['SET', k, 'v'] : ['GET', k], 1000).catch(() => null);
      if (i % 20 === 0) await new Promise((r) => setTimeout(r, 5));
    }
    c.close();
  })();
  return { async stop() { running = false; await loop; } };
}

beforeAll(async () => {
  expect(fs.existsSync(CHROMIUM), `${CHROMIUM} (apt-get install chromium; .ci/run does)`).toBe(true);
  redis = await Promise.all([0, 1, 2].map(() => startRedis()));
  port = await freePort();
  const adminPort = await freePort();
  admin = `127.0.0.1:${adminPort}`;
  const file = path.join(tmpDir(), 'proxy.yaml');
  fs.writeFileSync(file, [
    'alpha:', `  listen: 127.0.0.1:${port}`, '  redis: true', '  auto_eject_hosts: true', '  server_failure_limit: 1',
    '  server_retry_timeout: 600000', '  timeout: 500', '  servers:',
    ...redis.map((r, i) => `    - 127.0.0.1:${r.port}:1 node${i}`),
    'shardgate:', `  admin: { listen: ${admin} }`, '  metrics: { info_interval: 500 }', '',
  ].join('\n'));
  proxy = await startShardgate(['proxy', '-c', file, '-s', '0'], port);
  await waitForAdmin(admin);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}, 60_000);

afterAll(async () => {
  await traffic?.stop();
  await browser?.close();
  await proxy?.stop();
  await Promise.all((redis ?? []).map((r) => r.stop()));
});

describe('status page', () => {
  it('draws the ring, charts and events, and shows a killed server down', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(String(e)));
    page.on('requestfailed', (r) => { if (!r.url().endsWith('/events?since=0')) problems.push(`${r.url()} failed`); });
    traffic = startTraffic();
    await page.goto(`http://${admin}/`);
    // The ring: one arc per server, all live; the table lists them with the polled memory.
    await page.waitForSelector('#ring-alpha path[data-live="true"]');
    await until('three live arcs', async () => (await page.locator('#ring-alpha path[data-live="true"]').count()) === 3, 10_000, 100);
    for (let i = 0; i < 3; i++) await page.waitForSelector(`tr[data-server="node${i}"][data-status="up"]`);
    await until('memory from INFO', async () => (await page.locator('tr[data-server="node0"] td.mem').textContent())?.includes('B') === true, 10_000, 200);
    // The charts fill as polls come in; ops/s shows the traffic.
    await until('the ops chart has points', async () => Number(await page.locator('#chart-ops').getAttribute('data-points')) >= 2, 15_000, 200);
    await until('ops/s above 0', async () => /^[1-9]\d* ops\/s$/.test((await page.locator('#now-ops').textContent()) ?? ''), 15_000, 200);
    await until('a hit rate', async () => /%$/.test((await page.locator('#now-hit').textContent()) ?? ''), 15_000, 200);
    await until('a p99', async () => / ms$/.test((await page.locator('#now-p99').textContent()) ?? ''), 15_000, 200);
    // The event list replays what happened so far.
    await page.waitForSelector('#events li[data-type="config_applied"]');

    await redis[1]!.stop('SIGKILL');
    await page.waitForSelector('#events li[data-type="node_down"]', { timeout: 15_000 });
    await page.waitForSelector('tr[data-server="node1"][data-status="down"]', { timeout: 10_000 });
    await page.waitForSelector('#ring-alpha path[data-server="node1"][data-live="false"]', { timeout: 10_000 });
    expect(await page.locator('tr[data-status="up"]').count()).toBe(2);
    expect(await page.locator('#events li[data-type="ring_changed"]').count()).toBeGreaterThanOrEqual(1);
    expect(await page.locator('#events li[data-type="node_down"]').textContent()).toContain('node1');
    // Traffic goes on on the live servers, and the chart shows it.
    await until('ops/s above 0 after the ejection', async () => /^[1-9]\d* ops\/s$/.test((await page.locator('#now-ops').textContent()) ?? ''), 15_000, 200);
    // The page's ring agrees with the API's.
    const ring = (await adminRequest(admin, 'GET', '/ring')).body.pools.alpha;
    expect(ring.servers.filter((s: { live: boolean }) => !s.live).map((s: { name: string }) => s.name)).toEqual(['node1']);

    fs.mkdirSync(OUT, { recursive: true });
    const shot = path.join(OUT, 'status-page.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(fs.statSync(shot).size).toBeGreaterThan(10_000);
    expect(problems).toEqual([]);
    await page.close();
  }, 90_000);
});
