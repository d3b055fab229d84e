// Ring micro-benchmark: lookups/s of buildRing(...).pick for ketama with md5,
// fnv1a_64 and murmur over 3 and 30 servers, 16-byte random keys read in
// place from one buffer (as the proxy does), plus modula and the hashring
// package (string keys, its LRU cache warm) for scale.
// Run: npm run build && node benchmarks/micro/ring.mjs
import { createRequire } from 'node:module';
import crypto from 'node:crypto';
import { buildRing } from '../../dist/ring/index.js';

const require = createRequire(import.meta.url);
const HashRing = require('hashring');

const KEY = 16;
const NKEYS = 4096;
const keys = crypto.randomBytes(KEY * NKEYS);
const N = 2_000_000;

function bench(name, fn) {
  fn(N / 10); // warm up
  const rates = [];
  for (let r = 0; r < 5; r++) {
    const t0 = process.hrtime.bigint();
    fn(N);
    rates.push(N / (Number(process.hrtime.bigint() - t0) / 1e9));
  }
  rates.sort((a, b) => a - b);
  const med = rates[2];
  console.log(`${name.padEnd(44)} ${(med / 1e6).toFixed(2).padStart(7)} M lookups/s`);
  return med;
}

const servers = (n) => Array.from({ length: n }, (_, i) => ({ name: `10.0.0.${i + 1}:6379`, weight: 1 }));
let sink = 0;

for (const hash of ['md5', 'fnv1a_64', 'murmur']) {
  for (const n of [3, 30]) {
    const ring = buildRing({ distribution: 'ketama', hash, hashTag: null, servers: servers(n) });
    bench(`ketama ${hash} ${n} servers, 16 B keys`, (count) => {
      for (let i = 0; i < count; i++) {
        const off = (i & (NKEYS - 1)) * KEY;
        sink += ring.pick(keys, off, off + KEY);
      }
    });
  }
}

{
  const ring = buildRing({ distribution: 'ketama', hash: 'fnv1a_64', hashTag: '{}', servers: servers(30) });
  bench('ketama fnv1a_64 30 servers, hash_tag {}', (count) => {
    for (let i = 0; i < count; i++) {
      const off = (i & (NKEYS - 1)) * KEY;
      sink += ring.pick(keys, off, off + KEY);
    }
  });
  const mod = buildRing({ distribution: 'modula', hash: 'fnv1a_64', hashTag: null, servers: servers(30) });
  bench('modula fnv1a_64 30 servers', (count) => {
    for (let i = 0; i < count; i++) {
      const off = (i & (NKEYS - 1)) * KEY;
      sink += mod.pick(keys, off, off + KEY);
    }
  });
}

{
  const strKeys = Array.from({ length: NKEYS }, (_, i) => keys.toString('hex', i * KEY, i * KEY + 8));
  const hr = new HashRing(servers(30).map((s) => s.name));
  bench('hashring md5 30 servers (string keys, cached)', (count) => {
    for (let i = 0; i < count; i++) sink += hr.get(strKeys[i & (NKEYS - 1)]).length;
  });
  const hrCold = new HashRing(servers(30).map((s) => s.name), 'md5', { 'max cache size': 1 });
  bench('hashring md5 30 servers (string keys, no cache)', (count) => {
    for (let i = 0; i < count; i++) sink += hrCold.get(strKeys[i & (NKEYS - 1)]).length;
  });
}

if (sink === 42) console.log(''); // keep the work observable
