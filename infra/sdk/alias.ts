/**
 * `hotswap.Alias`: a named pointer to a function version. Without `rollout`, a change moves the
 * alias at once (optionally with weighted extra versions). With `rollout`, a new version goes out
 * through the platform's rollouts (canary, linear, blue-green, rolling): `pulumi up` waits for the
 * deployment, reports its progress, and fails with the reason if it is rolled back. A `protected`
 * alias changes version only through a deployment another principal approves.
 */
import * as pulumi from "@pulumi/pulumi";
import { aliasProvider } from "./alias-provider.ts";
import type { RolloutStrategy } from "./alias-inputs.ts";
import { Function as HotswapFunction } from "./function.ts";
import { splitOptions, type ResourceOptions } from "./provider.ts";
import type { Duration } from "./units.ts";

export const ALIAS_TYPE = "pulumi-nodejs:dynamic/hotswap:Alias";

/** When a rollout is rolled back: thresholds the platform checks every analysis interval on the new version's metrics. */
export interface AnalysisArgs {
  /**
   * How often the platform judges the new version's metrics (1 second to 1 hour).
   * @default "30 seconds"
   */
  interval?: Duration;
  /**
   * Roll back when the new version's error rate exceeds this fraction.
   * @default 0.05
   */
  maxErrorRate?: number;
  /**
   * Roll back when the new version's p99 latency exceeds this.
   * @default no limit
   * @example "500 ms"
   */
  maxP99?: Duration;
  /**
   * Roll back when the new version's error rate exceeds the current version's by more than this (absolute: 0.02 = 2 points).
   * @default off
   */
  maxErrorRateIncrease?: number;
  /**
   * Roll back when the new version's p99 exceeds the current version's by more than this fraction (0.5 = 50% slower).
   * @default off
   */
  maxP99Increase?: number;
  /**
   * Requests an interval needs before it is judged.
   * @default 20
   */
  minRequests?: number;
}

/** How a new version reaches the alias. */
export interface RolloutArgs {
  /**
   * `direct` (all at once, through the rollouts API), `canary` (a share for a while, then all),
   * `linear` (a share more every interval), `blue-green` (prewarm, smoke test, switch), `rolling`
   * (runner by runner). A/B tests are not available here: they run until concluded by hand.
   */
  strategy: RolloutStrategy;
  /**
   * canary: percent of traffic on the new version during the canary (more than 0, less than 100);
   * linear: percent added per step (more than 0, at most 100).
   * @default 10
   */
  percentage?: number;
  /**
   * canary: how long the canary runs before the new version takes all traffic.
   * @default "5 minutes"
   */
  duration?: Duration;
  /**
   * linear: time between steps; rolling: time between batches.
   * @default "1 minute"
   */
  interval?: Duration;
  /** rolling: runners per batch (set this or `batchPercentage`). */
  batchSize?: number;
  /** rolling: percent of runners per batch (set this or `batchSize`). */
  batchPercentage?: number;
  /** blue-green: how long the old version stays warm for a fast rollback. */
  rollbackWindow?: Duration;
  /** blue-green: the event of the smoke invocation before the switch. */
  smokeEvent?: pulumi.Input<Record<string, unknown>>;
  /** Automatic rollback thresholds. */
  analysis?: AnalysisArgs;
  /**
   * How long `pulumi up` waits for the rollout. The deployment itself goes on if this runs out.
   * @default "1 hour"
   */
  timeout?: Duration;
  /**
   * When another deployment owns the alias: `fail` the update, or `cancel` (roll back) the other one.
   * @default "fail"
   */
  onConflict?: "fail" | "cancel";
}

export interface AliasArgs {
  /**
   * The function: a `hotswap.Function` or a function name.
   * @example hello
   */
  function: HotswapFunction | pulumi.Input<string>;
  /**
   * The alias name. Changing it replaces the alias.
   * @default the resource name
   * @example "live"
   */
  name?: pulumi.Input<string>;
  /**
   * The version the alias points at.
   * @example hello.latestVersion
   */
  version: pulumi.Input<number>;
  /**
   * Extra versions and their traffic shares, by version number (not with `rollout`).
   * @example { 3: 0.1 } // 10% of traffic on version 3
   * @default {}
   */
  weights?: pulumi.Input<Record<number, pulumi.Input<number>>>;
  /** @default "" */
  description?: pulumi.Input<string>;
  /**
   * Protect the alias: its version changes only through a deployment (Direct unless `rollout` is
   * set) that a principal other than this stack's key approves (an admin, or a deployer key with
   * canApprove). `pulumi up` waits in PendingApproval, printing who must approve and how, and fails
   * if the deployment is rejected or the approval expires. Changing this on an existing alias needs
   * a key that may approve. Weights cannot be changed on a protected alias. Unset, the stack leaves
   * the alias's protection as it finds it (a new alias is unprotected).
   * @default unset (unprotected on create)
   */
  protected?: pulumi.Input<boolean>;
  /**
   * Roll out version changes progressively instead of moving the alias at once. The alias's first
   * version is always set directly (there is no version to move traffic from).
   * @example { strategy: "canary", percentage: 10, duration: "5 minutes", analysis: { maxErrorRate: 0.05, maxP99: "500 ms" } }
   */
  rollout?: pulumi.Input<RolloutArgs>;
}

export class Alias extends pulumi.dynamic.Resource {
  declare readonly functionName: pulumi.Output<string>;
  /** The alias name on the platform. */
  declare readonly name: pulumi.Output<string>;
  /** The version the alias points at, as of the last successful update or refresh. */
  declare readonly version: pulumi.Output<number>;
  declare readonly weights: pulumi.Output<Record<string, number>>;
  /** Whether the alias's traffic changes only through approved deployments. */
  declare readonly protected: pulumi.Output<boolean | undefined>;
  /** ARN-like id of the alias (the function's ARN with the alias as qualifier). */
  declare readonly arn: pulumi.Output<string>;
  /** The last deployment this resource started, if any (GET /api/v1/deployments/{id}). */
  declare readonly deploymentId: pulumi.Output<string | undefined>;

  constructor(name: string, args: AliasArgs, opts?: ResourceOptions) {
    if (!args || args.function === undefined || args.version === undefined) {
      throw new pulumi.RunError(`hotswap.Alias "${name}": function and version are required, e.g. { function: fn, version: fn.latestVersion }.`);
    }
    const { connection, pulumiOpts } = splitOptions("hotswap.Alias", name, opts);
    const fn = args.function;
    super(
      aliasProvider,
      name,
      {
        ...connection,
        resourceUrn: pulumi.createUrn(name, ALIAS_TYPE, pulumiOpts.parent),
        functionName: fn instanceof HotswapFunction ? fn.name : fn,
        name: args.name ?? name,
        version: args.version,
        weights: args.weights,
        description: args.description,
        protected: args.protected,
        rollout: args.rollout,
        arn: undefined,
        deploymentId: undefined,
      },
      pulumiOpts,
      "hotswap",
      "Alias",
    );
  }
}
