// A token bucket for "at most N keys per second": take(n) waits until n
// tokens are there. The bucket holds a tenth of a second's worth (at least
// one), so a walk never bursts more than that; batches are sized to fit
// (capacity). Owns only time arithmetic; knows nothing of keys or sockets.

export class TokenBucket {
  readonly #rate: number;
  readonly capacity: number;
  #tokens: number;
  #at: number;

  /** ratePerSec 0 means unlimited: take() never waits. */
  constructor(ratePerSec: number) {
    this.#rate = ratePerSec;
    this.capacity = ratePerSec > 0 ? Math.max(1, Math.floor(ratePerSec / 10)) : Infinity;
    this.#tokens = this.capacity;
    this.#at = performance.now();
  }

  /** Waits until n tokens (n ≤ capacity) are available, then takes them. */
  async take(n: number): Promise<void> {
    if (this.#rate <= 0) return;
    if (n > this.capacity) throw new RangeError(`take(${n}) exceeds the bucket capacity ${this.capacity}`);
    for (;;) {
      const now = performance.now();
      this.#tokens = Math.min(this.capacity, this.#tokens + ((now - this.#at) * this.#rate) / 1000);
      this.#at = now;
      if (this.#tokens >= n) {
        this.#tokens -= n;
        return;
      }
      const waitMs = Math.ceil(((n - this.#tokens) * 1000) / this.#rate);
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
  }
}
