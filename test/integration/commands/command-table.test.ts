// The command table against the real redis-server: arities and key positions
// must match what redis-server itself says (COMMAND INFO, COMMAND GETKEYS).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startRedis, type Proc } from '../../fixtures/procs.js';
import { allCommands, extractKeys, lookupCommand, resolveSubcommand } from '../../../src/commands/table.js';

let redis: Proc;
let io: Redis;
beforeAll(async () => {
  redis = await startRedis();
  io = new Redis({ port: redis.port });
});
afterAll(async () => {
  io.disconnect();
  await redis.stop();
});

const SAMPLES: string[][] = [
  ['get', 'k'], ['set', 'k', 'v', 'EX', '10'], ['mget', 'a', 'b', 'c'], ['mset', 'a', '1', 'b', '2'],
  ['del', 'a', 'b'], ['rename', 'a', 'b'], ['smove', 'a', 'b', 'm'], ['lmove', 'a', 'b', 'LEFT', 'RIGHT'],
  ['rpoplpush', 'a', 'b'], ['sinterstore', 'd', 'a', 'b'], ['zunionstore', 'd', '2', 'a', 'b', 'WEIGHTS', '1', '2'],
  ['zinterstore', 'd', '3', 'a', 'b', 'c'], ['msetnx', 'a', '1', 'b', '2'], ['eval', 'return 1', '2', 'k1', 'k2', 'arg'],
  ['evalsha', 'abc', '1', 'k1'], ['sort', 'k', 'BY', 'w_*', 'STORE', 'dst'], ['xread', 'COUNT', '2', 'STREAMS', 's1', 's2', '0', '0'],
  ['pfmerge', 'd', 'a', 'b'], ['bitop', 'AND', 'd', 'a', 'b'], ['georadius', 'g', '0', '0', '1', 'km', 'STORE', 'x'],
  ['zdiffstore', 'd', '2', 'a', 'b'], ['sintercard', '2', 'a', 'b'], ['lmpop', '2', 'a', 'b', 'LEFT'], ['object', 'encoding', 'k'],
  ['memory', 'usage', 'k'], ['hset', 'h', 'f', 'v'], ['copy', 'a', 'b'], ['getex', 'k', 'PERSIST'],
];

describe('command table', () => {
  it('has an entry with redis-server\'s arity for every command redis-server knows', async () => {
    const info = await io.call('COMMAND') as unknown[][];
    expect(info.length).toBeGreaterThan(200);
    for (const c of info) {
      const def = lookupCommand(String(c[0]));
      expect(def, String(c[0])).toBeDefined();
      expect(def!.arity, String(c[0])).toBe(c[1]);
    }
    expect([...allCommands()].length).toBe(info.length);
  });

  for (const argv of SAMPLES) {
    it(`locates the keys of ${argv.join(' ')} like COMMAND GETKEYS`, async () => {
      const want = (await io.call('COMMAND', 'GETKEYS', ...argv)) as string[];
      const def = resolveSubcommand(lookupCommand(argv[0])!, argv[1])!;
      const idx = def.kind === 'single' ? [def.firstKey] : extractKeys(def, argv.length, (i) => argv[i]);
      expect(idx).not.toBeNull();
      expect(idx!.map((i) => argv[i])).toEqual(want);
    });
  }
});
