// Prints, for each pool of a config file, how each of the 12 hashes spreads
// sequential keys (key:1..key:N, kN.., and the small runs a demo shows) over
// that pool's servers with its distribution, on the real ring from dist/
// (npm run build first). Usage: node scripts/hash-spread.mjs proxy.yaml [N]
import fs from 'node:fs';
import { parseConfig } from '../dist/config/index.js';
import { buildRing, serverHashName, HASH_NAMES } from '../dist/ring/index.js';

const [file = 'proxy.yaml', n = '10000'] = process.argv.slice(2);
const N = Number(n);
const config = parseConfig(fs.readFileSync(file, 'utf8'), file);

function counts(ring, size, key) {
  const c = new Array(ring.size).fill(0);
  for (let i = 1; i <= size; i++) { const b = Buffer.from(key(i)); c[ring.pick(b, 0, b.length)]++; }
  return c;
}

for (const pool of config.pools) {
  const servers = pool.servers.map((s) => ({ name: serverHashName(s.host ?? s.path ?? '', s.port, s.weight, s.name), weight: s.weight }));
  const total = servers.reduce((a, s) => a + s.weight, 0);
  console.log(`pool '${pool.name}': ${pool.distribution} over ${servers.map((s) => s.name).join(', ')}\n`);
  console.log(`| hash | key:1..key:${N} | k1..k${N} | worst (${N}) | key:1..key:300 | k1..k50 |`);
  console.log('|---|---|---|---|---|---|');
  for (const hash of HASH_NAMES) {
    const ring = Object.assign(buildRing({ distribution: pool.distribution, hash, hashTag: pool.hashTag, servers }), { size: servers.length });
    const big = [counts(ring, N, (i) => `key:${i}`), counts(ring, N, (i) => `k${i}`)];
    const worst = Math.max(...big.flat().map((c, j) => {
      const share = (N * servers[j % servers.length].weight) / total;
      return Math.abs(c - share) / share;
    }));
    const mark = hash === pool.hash ? `**${hash}** (this file)` : hash;
    console.log(`| ${mark} | ${big[0].join(' / ')} | ${big[1].join(' / ')} | ${(worst * 100).toFixed(1)}% | ${counts(ring, 300, (i) => `key:${i}`).join(' / ')} | ${counts(ring, 50, (i) => `k${i}`).join(' / ')} |`);
  }
}
