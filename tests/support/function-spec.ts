/**
 * The one FunctionSpec builder for tests: a spec valid against the protocol's zod schema, so a
 * test names only the fields it depends on. When FunctionSpec gains a field, this is the one
 * place that gives it a default.
 */
import type { FunctionSpec } from "../../protocol/invoke.ts";

/** The sha256 of the code the default spec names; tests that read code pass their own. */
export const DEFAULT_CODE_SHA256 = "a".repeat(64);

/**
 * A spec for `echo` version 1: nodejs20 `index.handler` on the fast channel, 128 MB, a 3 s
 * timeout, no environment, one invocation per instance, no instance, idle or reserved limits.
 * Each override replaces a default as it is (`environment` too, not merged).
 *
 * @example functionSpec({ functionName: "capped", reservedConcurrency: 1 })
 */
export function functionSpec(overrides: Partial<FunctionSpec> = {}): FunctionSpec {
  return {
    functionName: "echo",
    version: 1,
    runtime: "nodejs20",
    handler: "index.handler",
    memorySize: 128,
    timeout: 3,
    environment: {},
    codeSha256: DEFAULT_CODE_SHA256,
    protocol: "fast",
    instanceConcurrency: 1,
    ...overrides,
  };
}
