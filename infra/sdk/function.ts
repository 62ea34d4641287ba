/**
 * `hotswap.Function`: a function on the control plane, its code packaged from a directory or a
 * Pulumi archive. Every change of code or configuration publishes a new immutable version;
 * `latestVersion` is the one to point an alias at.
 */
import * as pulumi from "@pulumi/pulumi";
import { checkCodeArg, packagedCode, type CodeSource } from "./code-package.ts";
import { functionProvider } from "./function-provider.ts";
import type { Runtime } from "./function-inputs.ts";
import { splitOptions, type ResourceOptions } from "./provider.ts";
import type { Duration, Size } from "./units.ts";

export const FUNCTION_TYPE = "pulumi-nodejs:dynamic/hotswap:Function";

export interface FunctionArgs {
  /**
   * The function's name on the platform (`^[a-zA-Z0-9-_]{1,64}$`). Changing it replaces the function.
   * @default the resource name
   */
  name?: pulumi.Input<string>;
  /**
   * The runtime.
   * @example "nodejs20"
   */
  runtime: pulumi.Input<Runtime>;
  /**
   * `file.export` for Node.js (CommonJS or ESM), `module.function` for Python; informational for `provided`.
   * @example "index.handler"
   */
  handler: pulumi.Input<string>;
  /**
   * The code: a directory (the function's root), a `.zip` file, a `pulumi.asset.FileArchive` or a
   * `pulumi.asset.AssetArchive`. Relative paths are relative to the project directory. It is zipped
   * deterministically, so unchanged files never publish a new version.
   * @example "./functions/hello"
   * @example new pulumi.asset.AssetArchive({ "index.js": new pulumi.asset.StringAsset("exports.handler = async () => 'hi'") })
   */
  code: pulumi.Input<CodeSource>;
  /**
   * Memory limit, from 128 MB to 10 GB; the platform enforces it.
   * @default "256 MB"
   */
  memory?: pulumi.Input<Size>;
  /**
   * How long one invocation may run, in whole seconds, up to 15 minutes.
   * @default "30 seconds"
   */
  timeout?: pulumi.Input<Duration>;
  /**
   * Environment variables for the handler (4 KB at most; `AWS_LAMBDA_*`, `HOTSWAP_*` and the like are reserved).
   * @default {}
   */
  environment?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /**
   * Secret environment variables: delivered to the handler like `environment`, but sealed at rest by
   * the platform, shown as "***" by its API, and kept as a Pulumi secret in the stack's state
   * (`pulumi.secret(...)` or config secrets work as they are). Changing one publishes a new version.
   * @default {}
   * @example { DB_PASSWORD: config.requireSecret("dbPassword") }
   */
  secrets?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** @default "" */
  description?: pulumi.Input<string>;
  /** @default {} */
  tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /**
   * How the runner talks to instances: HotSwap's fast channel, or the AWS Lambda Runtime API.
   * @default "fast" ("runtime-api" for provided)
   */
  protocol?: pulumi.Input<"fast" | "runtime-api">;
  /**
   * Invocations one instance runs at once (1 = Lambda semantics).
   * @default 1
   */
  instanceConcurrency?: pulumi.Input<number>;
  /**
   * Cap on instances of a version per runner.
   * @default the runner's RUNNER_MAX_INSTANCES_PER_VERSION
   */
  maxInstances?: pulumi.Input<number>;
  /**
   * Cap on invocations of this function running at once across the fleet; beyond it invocations get
   * 429 `TooManyRequests` (`0` throttles every invocation). A function-level setting: changing it
   * updates the function in place and publishes no new version.
   * @default unset (no cap)
   */
  reservedConcurrency?: pulumi.Input<number>;
  /**
   * Instances kept initialized across the fleet, 0 to 1000 and at most `reservedConcurrency`. A
   * function-level setting: changing it updates the function in place and publishes no new version.
   * @default unset (0: none)
   */
  provisionedConcurrency?: pulumi.Input<number>;
  /**
   * Layer versions ("name:N", e.g. a `hotswap.Layer`'s `ref`), merged at /opt in this order (a
   * later layer's files win); at most 5. Changing them publishes a new version.
   * @default []
   * @example [deps.ref]
   */
  layers?: pulumi.Input<pulumi.Input<string>[]>;
}

class HotswapFunction extends pulumi.dynamic.Resource {
  /** The function's name on the platform. */
  declare readonly name: pulumi.Output<string>;
  /** The newest published version: point an alias at it. */
  declare readonly latestVersion: pulumi.Output<number>;
  /** sha256 of the deterministic zip of the code (as the platform stores it). */
  declare readonly codeSha256: pulumi.Output<string>;
  declare readonly codeSize: pulumi.Output<number>;
  /** ARN-like id, as handlers see it in `context.invokedFunctionArn`. Usable as FunctionName with the AWS SDK. */
  declare readonly arn: pulumi.Output<string>;
  declare readonly runtime: pulumi.Output<string>;
  declare readonly handler: pulumi.Output<string>;
  /** Memory in MB. */
  declare readonly memorySize: pulumi.Output<number>;
  declare readonly timeoutSeconds: pulumi.Output<number>;

  constructor(name: string, args: FunctionArgs, opts?: ResourceOptions) {
    // A plain path is checked now, so the mistake is reported before anything is registered; the
    // code is zipped in the program (where the files are) and handed to the provider through the cache.
    checkCodeArg("hotswap.Function", name, "function", args?.code);
    const { connection, pulumiOpts } = splitOptions("hotswap.Function", name, opts);
    const { pkg, holder } = packagedCode("hotswap.Function", name, args.code);
    super(
      functionProvider,
      name,
      {
        ...connection,
        resourceUrn: pulumi.createUrn(name, FUNCTION_TYPE, pulumiOpts.parent),
        name: args.name ?? name,
        runtime: args.runtime,
        handler: args.handler,
        memory: args.memory,
        timeout: args.timeout,
        environment: args.environment,
        // Always a Pulumi secret in the state, whether or not the caller wrapped it.
        secrets: args.secrets === undefined ? undefined : pulumi.secret(args.secrets),
        description: args.description,
        tags: args.tags,
        protocol: args.protocol,
        instanceConcurrency: args.instanceConcurrency,
        maxInstances: args.maxInstances,
        reservedConcurrency: args.reservedConcurrency,
        provisionedConcurrency: args.provisionedConcurrency,
        layers: args.layers,
        codeSha256: pkg.sha256,
        codeSize: pkg.size,
        // Outputs the provider computes.
        arn: undefined,
        latestVersion: undefined,
        memorySize: undefined,
        timeoutSeconds: undefined,
      },
      pulumiOpts,
      "hotswap",
      "Function",
    );
    holder.self = this;
  }
}

export { HotswapFunction as Function };
