/**
 * Request rate limits: per API key (or JWT subject) and per function, requests per second with a
 * burst, counted in token buckets on the state store, so every replica of a cluster draws from the
 * same bucket (one Lua script per check on Redis; in-process when embedded). This module owns the
 * policy: which limit applies (the key's or function's own, else the server default, else none),
 * the bucket names under the cluster namespace, and the 429 that names the limit and says when to
 * come back. The invocation pipeline's rate-limit stages and the management API's middleware call it.
 */
import { ApiError } from "../../../protocol/errors.ts";
import type { FunctionSpec } from "../../../protocol/invoke.ts";
import type { StateStore, TokenRate } from "../../../shared/state/state-store.ts";
import type { Principal } from "../auth/principal.ts";

export interface RequestLimitDefaults {
  /** HOTSWAP_RATE_LIMIT_KEY_*: for keys (and JWT subjects) without a limit of their own. */
  key?: TokenRate;
  /** HOTSWAP_RATE_LIMIT_FUNCTION_*: for functions without a limit of their own. */
  function?: TokenRate;
}

export interface RequestLimitsOptions {
  state: Pick<StateStore, "takeToken">;
  /** The cluster's key namespace (clusterNamespace), so clusters sharing a Redis keep their own buckets. */
  namespace: string;
  defaults?: RequestLimitDefaults;
  /**
   * Told when the state store could not answer. The request is then let through: a limiter that
   * fails closed would turn a Redis hiccup into an outage of every limited key.
   */
  onError?: (err: unknown) => void;
}

export class RequestLimits {
  private readonly state: Pick<StateStore, "takeToken">;
  private readonly prefix: string;
  private readonly defaults: RequestLimitDefaults;
  private readonly onError: (err: unknown) => void;

  constructor(opts: RequestLimitsOptions) {
    this.state = opts.state;
    this.prefix = `${opts.namespace}ratelimit:`;
    this.defaults = opts.defaults ?? {};
    this.onError = opts.onError ?? (() => {});
  }

  /** The limit on `principal`'s requests; undefined for none (and for the platform acting on its own). */
  keyRate(principal: Principal): TokenRate | undefined {
    if (principal.method === "internal") return undefined;
    return principal.rateLimit ?? this.defaults.key;
  }

  /**
   * The limit on invocations of `spec`'s function; undefined for none and for the platform's own
   * invocations (`system`: queued events being run, hooks), which were counted when they came in.
   */
  functionRate(spec: FunctionSpec, principal: Principal | undefined): TokenRate | undefined {
    if (principal?.subject === "system") return undefined;
    return spec.rateLimit ?? this.defaults.function;
  }

  /** Take one of `principal`'s tokens; throws 429 TooManyRequests when there is none. */
  async admitKey(principal: Principal, rate: TokenRate): Promise<void> {
    await this.admit(`key:${principal.subject}`, rate, () => `API key or token "${principal.subject}"`);
  }

  /** Take one of the function's tokens; throws 429 TooManyRequests when there is none. */
  async admitFunction(name: string, rate: TokenRate): Promise<void> {
    await this.admit(`fn:${name}`, rate, () => `function "${name}"`);
  }

  private async admit(bucket: string, rate: TokenRate, who: () => string): Promise<void> {
    let take;
    try {
      take = await this.state.takeToken(this.prefix + bucket, rate);
    } catch (e) {
      this.onError(e);
      return;
    }
    if (!take.allowed) throw tooManyRequests(`${who()} is over its rate limit`, rate, take.retryAfterMs);
  }
}

/** The 429 of a rate limit: names the limit, and carries `Retry-After` in whole seconds, rounded up. */
export function tooManyRequests(what: string, rate: TokenRate, retryAfterMs: number, advice = "or ask for a higher limit"): ApiError {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  const err = new ApiError("TooManyRequests", `${what} (${rate.rps} requests per second, burst ${rate.burst}); retry after ${seconds} s ${advice}.`);
  err.headers = { "retry-after": String(seconds) };
  return err;
}
