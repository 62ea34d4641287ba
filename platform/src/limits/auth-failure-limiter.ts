/**
 * Failed authentications per source address. Each 401/403 an authenticator answers takes a token
 * from the address's bucket (HOTSWAP_RATE_LIMIT_AUTH_FAILURE_*); once it is empty, every request
 * from that address is answered 429 before any authenticator runs, so a flood of made-up keys
 * neither reaches the database (an unknown key id costs a lookup) nor fills the key cache.
 * In-process on purpose: the check is a map lookup on the hot path, with no await, and what it
 * protects (this replica's key cache and its share of database lookups) is per replica too.
 */
import { ApiError } from "../../../protocol/errors.ts";
import { takeToken, type BucketState, type TokenRate } from "../../../shared/state/token-bucket.ts";
import type { Authenticator } from "../auth/authentication.ts";
import { tooManyRequests } from "./request-limits.ts";

export interface AuthFailureLimiterOptions {
  rate: TokenRate;
  /** Addresses remembered at most; the longest-quiet go first. @default 10_000 */
  maxAddresses?: number;
  /** Clock, for tests. @default Date.now */
  now?: () => number;
}

export class AuthFailureLimiter {
  private readonly buckets = new Map<string, BucketState>();
  private readonly maxAddresses: number;
  private readonly now: () => number;

  constructor(private readonly opts: AuthFailureLimiterOptions) {
    this.maxAddresses = opts.maxAddresses ?? 10_000;
    this.now = opts.now ?? Date.now;
  }

  /** Throws 429 when `address` has used up its failures; an address never seen passes at the cost of one lookup. */
  check(address: string | undefined): void {
    if (address === undefined) return;
    const bucket = this.buckets.get(address);
    if (bucket === undefined) return;
    const tokens = Math.min(this.opts.rate.burst, bucket.tokens + ((this.now() - bucket.at) * this.opts.rate.rps) / 1000);
    if (tokens >= 1) return;
    const retryAfterMs = Math.ceil(((1 - tokens) * 1000) / this.opts.rate.rps);
    throw tooManyRequests(`Too many failed authentications from ${address}`, this.opts.rate, retryAfterMs, "with a valid API key");
  }

  /** Count one failed authentication from `address`. */
  failed(address: string | undefined): void {
    if (address === undefined) return;
    const { state } = takeToken(this.buckets.get(address), this.opts.rate, this.now());
    this.buckets.delete(address); // re-inserted last: the map's order is the eviction order
    this.buckets.set(address, state);
    if (this.buckets.size > this.maxAddresses) this.buckets.delete(this.buckets.keys().next().value!);
  }

  /**
   * The authenticators behind this limiter: a first one that refuses a spent address (and
   * otherwise declines), then each given one with its 401/403 answers counted.
   */
  guard(authenticators: readonly Authenticator[]): Authenticator[] {
    const gate: Authenticator = (req) => {
      this.check(req.remoteAddress);
      return null;
    };
    return [gate, ...authenticators.map((a) => this.counting(a))];
  }

  private counting(authenticate: Authenticator): Authenticator {
    const onFailure = (req: { remoteAddress?: string }, e: unknown) => {
      if (e instanceof ApiError && (e.status === 401 || e.status === 403)) this.failed(req.remoteAddress);
    };
    return (req) => {
      let answer;
      try {
        answer = authenticate(req);
      } catch (e) {
        onFailure(req, e);
        throw e;
      }
      if (!(answer instanceof Promise)) return answer;
      return answer.catch((e: unknown) => {
        onFailure(req, e);
        throw e;
      });
    };
  }
}
