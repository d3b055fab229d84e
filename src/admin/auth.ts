// Bearer-token checking for the admin API. Both sides are hashed with sha256
// first, so the comparison is constant-time and independent of the lengths.
// Must not know about routes or HTTP beyond the header value.
import crypto from 'node:crypto';

function digest(s: string): Buffer {
  return crypto.createHash('sha256').update(s, 'utf8').digest();
}

export class BearerAuth {
  #expected: Buffer | null = null;
  #authReads = false;

  constructor(token: string | null, authReads: boolean) { this.set(token, authReads); }

  set(token: string | null, authReads: boolean): void {
    if (token === '') throw new RangeError('admin token must not be empty (use null for no token)');
    this.#expected = token === null ? null : digest(token);
    this.#authReads = authReads;
  }

  /** Whether a request to a route of this kind must carry the token. */
  required(mutates: boolean, isPublic: boolean): boolean {
    if (this.#expected === null) return false;
    return mutates || (this.#authReads && !isPublic);
  }

  /** 'ok', or why the Authorization header does not pass. */
  check(header: string | undefined): 'ok' | 'missing' | 'wrong' {
    if (this.#expected === null) return 'ok';
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? '');
    if (!m) return 'missing';
    return crypto.timingSafeEqual(digest(m[1]!), this.#expected) ? 'ok' : 'wrong';
  }
}
