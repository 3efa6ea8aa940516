/**
 * An in-process token bucket per key (a client address, an account, a hospital): `capacity`
 * requests at once, refilled at `perSecond`. A key's bucket is dropped once full again; at
 * most `maxKeys` buckets are kept (the oldest go first), so a flood of addresses cannot grow
 * the map without bound. One process's view: behind several processes each limits its own share.
 */
import { TooManyRequestsError } from '../errors.js';

export interface BucketOptions {
  capacity: number;
  perSecond: number;
  maxKeys?: number;
  /** milliseconds since the epoch; tests and benchmarks may pass their own clock */
  now?: () => number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();
  private readonly maxKeys: number;
  private readonly now: () => number;

  constructor(private readonly o: BucketOptions) {
    this.maxKeys = o.maxKeys ?? 50_000;
    this.now = o.now ?? Date.now;
  }

  private bucket(key: string): Bucket {
    const t = this.now();
    const b = this.buckets.get(key);
    if (!b) return { tokens: this.o.capacity, at: t };
    const tokens = Math.min(this.o.capacity, b.tokens + ((t - b.at) / 1000) * this.o.perSecond);
    return { tokens, at: t };
  }

  /** Seconds until the key has a token again (0: it has one now). */
  waitFor(key: string): number {
    const b = this.bucket(key);
    return b.tokens >= 1 ? 0 : Math.max(1, Math.ceil((1 - b.tokens) / this.o.perSecond));
  }

  /** Take a token: true when there was one. */
  take(key: string): boolean {
    const b = this.bucket(key);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    this.buckets.delete(key); // re-inserted last: the map's order is the order of use
    if (b.tokens < this.o.capacity) this.buckets.set(key, b);
    while (this.buckets.size > this.maxKeys) this.buckets.delete(this.buckets.keys().next().value as string);
    return true;
  }

  /** Take a token or throw a TooManyRequestsError (HTTP 429 with Retry-After). */
  takeOrThrow(key: string, what: string): void {
    if (!this.take(key)) {
      const s = this.waitFor(key);
      throw new TooManyRequestsError(s, `${what}: too many requests; try again in ${s} s`);
    }
  }
}
