/**
 * `hotswap/pulumi`: HotSwap functions, aliases, triggers and layers as Pulumi resources.
 *
 * ```ts
 * import * as hotswap from "hotswap/pulumi";
 * const fn = new hotswap.Function("hello", { runtime: "nodejs20", handler: "index.handler", code: "./functions/hello" });
 * new hotswap.Alias("live", { function: fn, version: fn.latestVersion, rollout: { strategy: "canary", percentage: 10, duration: "5 minutes" } });
 * ```
 *
 * The resources are Pulumi dynamic resources: their providers are serialized into the stack and run
 * by Pulumi's dynamic-provider host. The package ships it compiled (scripts/build-package.ts): ES
 * modules and declarations for `import`, one CommonJS file for `require` (`pulumi new typescript`
 * projects); see README.md.
 */
export { Provider, type ProviderArgs, type ResourceOptions } from "./provider.ts";
export { Function, type FunctionArgs } from "./function.ts";
export { Alias, type AliasArgs, type AnalysisArgs, type RolloutArgs } from "./alias.ts";
export { Layer, type LayerArgs } from "./layer.ts";
export { Trigger, type TriggerArgs, type HttpTriggerArgs, type ScheduledTriggerArgs, type StreamTriggerArgs } from "./trigger.ts";
export type { RolloutStrategy } from "./alias-inputs.ts";
export type { Runtime } from "./function-inputs.ts";
export type { CodeSource } from "./code-package.ts";
export type { Duration, Size } from "./units.ts";
