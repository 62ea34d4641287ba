/**
 * Test support for the invocation pipeline's stages: a function spec, an invocation, and a next
 * link that records what reached it.
 */
import type { FunctionSpec, InvokeOutcome } from "../../protocol/invoke.ts";
import type { Invocation, InvocationHandler } from "../../platform/src/invocation/invocation.ts";
import { functionSpec } from "./function-spec.ts";

/** A spec for `fn` (the name the stage tests invoke), from the one spec builder. */
export function specOf(over: Partial<FunctionSpec> = {}): FunctionSpec {
  return functionSpec({ functionName: "fn", codeSha256: "c".repeat(64), ...over });
}

export function invocationOf(over: Partial<Invocation> = {}): Invocation {
  return { requestId: "req-00000001", name: "fn", ...over };
}

export const SUCCESS: InvokeOutcome = { kind: "success", payload: Buffer.from('{"ok":true}'), coldStart: false, start: "warm", durationMs: 2 };

/** A next link that records each invocation it receives and answers `outcome`. */
export function recordingNext(outcome: InvokeOutcome | undefined = SUCCESS): InvocationHandler & { seen: Invocation[] } {
  const seen: Invocation[] = [];
  return {
    seen,
    handle: async (inv) => {
      seen.push({ ...inv });
      return outcome;
    },
  };
}
