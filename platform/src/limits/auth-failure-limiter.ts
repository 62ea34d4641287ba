/**
 * Failed authentications per source address, shared by every replica of a cluster. Each 401/403 an
 * authenticator answers takes a token from the address's bucket on the state store
 * (HOTSWAP_RATE_LIMIT_AUTH_FAILURE_*; Redis, or in-process when embedded), so failures spread over
 * several replicas draw from one budget. The failure that empties the bucket blocks the address
 * for as long as the bucket needs to give one token back, here at once and on every other replica
 * through the state store's pub/sub; a blocked address gets 429 before any authenticator runs, so
 * a flood of made-up keys neither reaches the database (an unknown key id costs a lookup) nor
 * fills the key cache.
 *
 * The check stays a map lookup with no await: a request that authenticates pays nothing on the
 * hot path, and only failures (already the slow path: a lookup was made) wait for the state store.
 * Like the other rate limits it fails open: when the state store cannot answer, the failure is
 * not counted, rather than every address being refused.
 */
import { ApiError } from "../../../protocol/errors.ts";
import type { StateStore, TokenRate, Unsubscribe } from "../../../shared/state/state-store.ts";
import type { Authenticator } from "../auth/authentication.ts";
import { tooManyRequests } from "./request-limits.ts";

export interface AuthFailureLimiterOptions {
  rate: TokenRate;
  /** Where the buckets live and blocks are announced: every replica of the cluster must share it. */
  state: Pick<StateStore, "takeToken" | "publish" | "subscribe">;
  /** The cluster's key namespace (clusterNamespace), so clusters sharing a Redis keep their own budgets. */
  namespace: string;
  /** Blocked addresses remembered at most; the earliest blocked go first. @default 10_000 */
  maxAddresses?: number;
  /** Told when the state store could not count a failure or announce a block. */
  onError?: (err: unknown) => void;
}

/** What one replica tells the others: `address` is blocked for `ms` from when they hear it. */
interface BlockMessage {
  address: string;
  ms: number;
}

export class AuthFailureLimiter {
  /** Address → epoch ms until which it is refused. Insertion order is the eviction order. */
  private readonly blocked = new Map<string, number>();
  private readonly maxAddresses: number;
  private readonly bucketPrefix: string;
  private readonly channel: string;
  private readonly onError: (err: unknown) => void;
  private unsubscribe?: Unsubscribe;

  constructor(private readonly opts: AuthFailureLimiterOptions) {
    this.maxAddresses = opts.maxAddresses ?? 10_000;
    this.bucketPrefix = `${opts.namespace}authfail:`;
    this.channel = `${opts.namespace}auth-failures`;
    this.onError = opts.onError ?? (() => {});
  }

  /** Hear the other replicas' blocks. Resolves once subscribed. */
  async start(): Promise<void> {
    this.unsubscribe = await this.opts.state.subscribe(this.channel, (message) => {
      let m: BlockMessage;
      try {
        m = JSON.parse(message) as BlockMessage;
      } catch {
        return; // not ours: whoever else writes to the channel cannot block anyone
      }
      if (typeof m.address === "string" && Number.isFinite(m.ms) && m.ms > 0) this.block(m.address, m.ms);
    });
  }

  async stop(): Promise<void> {
    await this.unsubscribe?.();
  }

  /** Throws 429 when `address` is blocked; an address that is not passes with a map lookup. */
  check(address: string | undefined): void {
    if (address === undefined) return;
    const until = this.blocked.get(address);
    if (until === undefined) return;
    const left = until - Date.now();
    if (left <= 0) {
      this.blocked.delete(address);
      return;
    }
    throw tooManyRequests(`Too many failed authentications from ${address}`, this.opts.rate, left, "with a valid API key");
  }

  /** Count one failed authentication from `address`; the one that empties its bucket blocks it everywhere. */
  async failed(address: string | undefined): Promise<void> {
    if (address === undefined) return;
    const { rate, state } = this.opts;
    try {
      const take = await state.takeToken(this.bucketPrefix + address, rate);
      if (take.remaining >= 1) return;
      const ms = take.allowed ? Math.max(1, Math.ceil(((1 - take.remaining) * 1000) / rate.rps)) : take.retryAfterMs;
      this.block(address, ms);
      await state.publish(this.channel, JSON.stringify({ address, ms } satisfies BlockMessage));
    } catch (e) {
      this.onError(e);
    }
  }

  private block(address: string, ms: number): void {
    const until = Math.max(Date.now() + ms, this.blocked.get(address) ?? 0);
    this.blocked.delete(address); // re-inserted last
    this.blocked.set(address, until);
    if (this.blocked.size > this.maxAddresses) this.blocked.delete(this.blocked.keys().next().value!);
  }

  /**
   * The authenticators behind this limiter: a first one that refuses a blocked address (and
   * otherwise declines), then each given one with its 401/403 answers counted before they are
   * answered, so the next request from the address already meets the block.
   */
  guard(authenticators: readonly Authenticator[]): Authenticator[] {
    const gate: Authenticator = (req) => {
      this.check(req.remoteAddress);
      return null;
    };
    return [gate, ...authenticators.map((a) => this.counting(a))];
  }

  private counting(authenticate: Authenticator): Authenticator {
    const onFailure = async (req: { remoteAddress?: string }, e: unknown): Promise<never> => {
      if (e instanceof ApiError && (e.status === 401 || e.status === 403)) await this.failed(req.remoteAddress);
      throw e;
    };
    return (req) => {
      let answer;
      try {
        answer = authenticate(req);
      } catch (e) {
        return onFailure(req, e);
      }
      if (!(answer instanceof Promise)) return answer;
      return answer.catch((e: unknown) => onFailure(req, e));
    };
  }
}
