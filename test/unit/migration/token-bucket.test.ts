import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../../src/migration/token-bucket.js';

describe('TokenBucket', () => {
  it('holds a tenth of a second of tokens (at least one)', () => {
    expect(new TokenBucket(1000).capacity).toBe(100);
    expect(new TokenBucket(5).capacity).toBe(1);
    expect(new TokenBucket(0).capacity).toBe(Infinity);
  });

  it('paces takes to the rate: 300 tokens at 1000/s after the first 100 take ≥ 200 ms', async () => {
    const b = new TokenBucket(1000);
    const t0 = performance.now();
    for (let i = 0; i < 30; i++) await b.take(10);
    const ms = performance.now() - t0;
    expect(ms).toBeGreaterThanOrEqual(195);
    expect(ms).toBeLessThan(600);
  });

  it('rate 0 never waits', async () => {
    const b = new TokenBucket(0);
    const t0 = performance.now();
    for (let i = 0; i < 1000; i++) await b.take(1000);
    expect(performance.now() - t0).toBeLessThan(100);
  });

  it('a take larger than the capacity is a RangeError (it could never be served)', async () => {
    await expect(new TokenBucket(100).take(11)).rejects.toThrow(RangeError);
  });
});
