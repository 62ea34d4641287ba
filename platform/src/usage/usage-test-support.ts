/**
 * Test helpers of the usage module: an invocation of a given function version, as the pipeline
 * hands it to observers, and its outcome.
 */
import type { FunctionSpec, InvokeOutcome } from "../../../protocol/invoke.ts";
import type { Invocation } from "../invocation/invocation.ts";
import type { InvocationObserver } from "../invocation/observe.ts";

export interface Observed {
  functionName: string;
  version: number;
  memorySize: number;
  durationMs?: number;
  kind?: "success" | "function-error";
  coldStart?: boolean;
}

/** An invocation that resolved to `o`'s function version. */
export function invocationOf(o: Pick<Observed, "functionName" | "version" | "memorySize">): Invocation {
  const spec: FunctionSpec = {
    functionName: o.functionName,
    version: o.version,
    runtime: "nodejs20",
    handler: "index.handler",
    memorySize: o.memorySize,
    timeout: 3,
    environment: {},
    codeSha256: "a".repeat(64),
    protocol: "fast",
    instanceConcurrency: 1,
  };
  return { requestId: "r-usage-test", name: o.functionName, spec };
}

/** Hand `observer` one outcome of `o`'s version (a success unless `kind` says otherwise). */
export function billedInvocation(observer: InvocationObserver, o: Observed): void {
  const outcome: InvokeOutcome = {
    kind: o.kind ?? "success",
    payload: Buffer.alloc(0),
    coldStart: o.coldStart ?? false,
    start: o.coldStart ? "fresh" : "warm",
    durationMs: o.durationMs ?? 1,
  };
  observer.observe(invocationOf(o), outcome, 0);
}
