/**
 * Runs SDK programs under `pulumi.runtime.setMocks`: records every resource's inputs (secrets kept
 * wrapped, see `isSecret`) and answers like the HotSwap providers would (a function gets version 1,
 * an ARN), and like a platform stack for a StackReference (apiEndpoint, adminKey, deployerKey).
 */
import * as pulumi from "@pulumi/pulumi";
import { RecordingMocks, isSecret, unsecret, valueOf, type RecordedResource } from "../../../infra/render/mocks.ts";

export { isSecret, unsecret, valueOf, type RecordedResource };

export const PLATFORM_OUTPUTS = {
  apiEndpoint: "https://hotswap.example.com",
  adminKey: "hs_admin01_abcdefghijklmnopqrstuvwxyzABCDEF012345",
  deployerKey: "hs_deploy01_abcdefghijklmnopqrstuvwxyzABCDEF012345",
};

export class SdkMocks extends RecordingMocks {
  override newResource(args: pulumi.runtime.MockResourceArgs): pulumi.runtime.MockResourceResult {
    const recorded = super.newResource(args);
    const inputs = unsecret<Record<string, any>>(args.inputs);
    switch (args.type) {
      case "pulumi:pulumi:StackReference":
        return { id: inputs.name, state: { name: inputs.name, outputs: PLATFORM_OUTPUTS, secretOutputNames: ["adminKey", "deployerKey"] } };
      case "pulumi-nodejs:dynamic/hotswap:Function":
        return { id: inputs.name, state: { ...args.inputs, latestVersion: 1, arn: `arn:aws:lambda:us-east-1:000000000000:function:${inputs.name}` } };
      case "pulumi-nodejs:dynamic/hotswap:Alias":
        return { id: `${inputs.functionName}:${inputs.name}`, state: { ...args.inputs, arn: `arn:aws:lambda:us-east-1:000000000000:function:${inputs.functionName}:${inputs.name}` } };
      default:
        return recorded;
    }
  }

  /** Recorded HotSwap resources of one kind ("Function", "Alias", "Layer"), inputs unwrapped, by resource name. */
  hotswap(kind: "Function" | "Alias" | "Layer"): Map<string, Record<string, any>> {
    return new Map(this.ofType(`pulumi-nodejs:dynamic/hotswap:${kind}`).map((r) => [r.name, unsecret<Record<string, any>>(r.inputs)]));
  }
}

export interface ProgramRun<T> {
  mocks: SdkMocks;
  result: T;
}

/**
 * Runs a program (sync or async) under fresh mocks with the given config, and resolves once every
 * resource has been registered.
 */
export async function runProgram<T>(
  program: () => T | Promise<T>,
  options: { project?: string; stack?: string; config?: Record<string, string>; secretKeys?: string[] } = {},
): Promise<ProgramRun<T>> {
  const mocks = new SdkMocks();
  await pulumi.runtime.setMocks(mocks, options.project ?? "sdk-test", options.stack ?? "test", false);
  pulumi.runtime.setAllConfig(options.config ?? {}, options.secretKeys);
  const result = await program();
  await pulumi.runtime.disconnect();
  return { mocks, result };
}
