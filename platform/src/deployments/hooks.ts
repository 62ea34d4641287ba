/**
 * Lifecycle hooks and the blue-green smoke test: functions invoked through the normal invoke
 * path, as CodeDeploy's BeforeAllowTraffic / AfterAllowTraffic hooks are. A hook passes when it
 * returns without error, unless it returns `{ "status": "Failed", "reason": "..." }`. A hook may
 * run more than once if the rollout leader changes while it runs, so hooks should be idempotent.
 */
import { isApiError } from "../../../protocol/errors.ts";
import type { InvokeOutcome } from "../../../protocol/invoke.ts";
import type { Invoker } from "../router/invoker.ts";
import type { Deployment } from "../db/index.ts";
import type { HookRef } from "../../../protocol/api/deployments.ts";

export type HookName = "preTraffic" | "postTraffic";
export type CheckResult = { ok: true; durationMs: number } | { ok: false; reason: string };

/** What went wrong in an invocation, in one line. */
function describeFailure(outcome: InvokeOutcome): string | undefined {
  if (outcome.kind === "platform-error") return `${outcome.code}: ${outcome.message}`;
  let body: { errorType?: string; errorMessage?: string; status?: string; reason?: string } | undefined;
  try {
    body = JSON.parse(outcome.payload.toString("utf8"));
  } catch {
    body = undefined;
  }
  if (outcome.kind === "function-error") return `${body?.errorType ?? "Error"}: ${body?.errorMessage ?? "the handler failed"}`;
  if (body && typeof body === "object" && body.status === "Failed") return `it returned status Failed${body.reason ? `: ${body.reason}` : ""}`;
  return undefined;
}

async function invokeCheck(invoker: Invoker, fn: string, qualifier: string | undefined, event: unknown, requestId: string): Promise<CheckResult> {
  const t0 = performance.now();
  try {
    const { outcome } = await invoker.invoke(fn, qualifier, Buffer.from(JSON.stringify(event ?? {})), { requestId });
    const failure = describeFailure(outcome);
    return failure === undefined ? { ok: true, durationMs: Math.round(performance.now() - t0) } : { ok: false, reason: failure };
  } catch (e) {
    return { ok: false, reason: isApiError(e) ? `${e.code}: ${e.message}` : (e as Error).message };
  }
}

/** The event a hook function receives. */
export function hookEvent(d: Deployment, hook: HookName) {
  return {
    deploymentId: d.id,
    hook,
    functionName: d.functionName,
    alias: d.alias,
    fromVersion: d.fromVersion,
    toVersion: d.toVersion,
    strategy: d.strategy,
  };
}

export async function runHook(invoker: Invoker, d: Deployment, hook: HookName, ref: HookRef): Promise<CheckResult> {
  const r = await invokeCheck(invoker, ref.functionName, ref.qualifier, hookEvent(d, hook), `deployment-${d.id}-${hook}-${Date.now()}`);
  if (r.ok) return r;
  const target = `${ref.functionName}${ref.qualifier ? `:${ref.qualifier}` : ""}`;
  return { ok: false, reason: `${hook} hook ${target} failed: ${r.reason}` };
}

/** Invoke the new version directly (by number) with the smoke event. */
export async function smokeInvoke(invoker: Invoker, d: Deployment, event: unknown): Promise<CheckResult> {
  const r = await invokeCheck(invoker, d.functionName, String(d.toVersion), event ?? {}, `deployment-${d.id}-smoke-${Date.now()}`);
  return r.ok ? r : { ok: false, reason: `smoke invocation of version ${d.toVersion} failed: ${r.reason}` };
}
