/**
 * The fleet as one RunnerHandle: the control plane's invoker calls it exactly as it calls the
 * embedded runner. Each invocation goes to the runner the registry picks (warm first, else the
 * less loaded of two). A failure before the request was written (connection refused or reset,
 * or the runner refusing because it drains or is full) is retried once on another runner; a
 * failure after it was written is reported as RunnerLost and never retried, since the function
 * may have run.
 */
import { RUNTIME_IDS } from "../../../protocol/runtimes.ts";
import { specKey, type FunctionSpec, type InvokeOutcome, type InvokeRequest } from "../../../protocol/invoke.ts";
import { encodeSpec } from "../../../protocol/fleet.ts";
import type { RunnerHandle, RunnerStatus, RuntimeAvailability } from "../../../protocol/runner.ts";
import type { ForwardResult } from "./runner-client.ts";
import type { RunnerEntry, RunnerRegistry } from "./runner-registry.ts";
import { shares } from "./placement.ts";

/** Beyond the function's timeout, how long a runner may take (queueing, a cold start) before the forward fails. */
const FORWARD_SLACK_MS = 30_000;
const RUNTIMES_CACHE_MS = 5_000;

interface SpecWire {
  key: string;
  header: string;
}

type Attempt = { done: InvokeOutcome } | { retry: string; refusal?: InvokeOutcome };

export const NO_RUNNER_MESSAGE =
  "no runner is available: start one with `hotswap runner` (with the same REDIS_URL, HOTSWAP_REDIS_PREFIX and HOTSWAP_CLUSTER_SECRET as the control plane), or retry";

export class FleetRunner implements RunnerHandle {
  /** Wire form of each spec object of the routing table: built once, reused by every invocation. */
  private readonly wire = new WeakMap<FunctionSpec, SpecWire>();
  private inflight = 0;
  private idle: (() => void) | undefined;
  private runtimesCache: { at: number; value: RuntimeAvailability[] } | undefined;

  constructor(private readonly registry: RunnerRegistry) {}

  invoke(req: InvokeRequest): Promise<InvokeOutcome> {
    let w = this.wire.get(req.spec);
    if (w === undefined) {
      w = { key: specKey(req.spec), header: encodeSpec(req.spec) };
      this.wire.set(req.spec, w);
    }
    const first = this.registry.pick(w.key);
    if (first === undefined) return Promise.resolve(unavailable(NO_RUNNER_MESSAGE));
    this.inflight++;
    const wire = w;
    return this.attempt(first, req, wire)
      .then((a) => ("done" in a ? a.done : this.retry(first, req, wire, a)))
      .finally(() => {
        if (--this.inflight === 0) this.idle?.();
      });
  }

  /** Fleet totals; `warm` sums each version's warm instances over ready runners. */
  status(): RunnerStatus {
    const warm: Record<string, number> = {};
    let inflight = 0;
    let instances = 0;
    const live = this.registry.live();
    for (const r of live) {
      inflight += r.hb.load.inflight;
      instances += r.hb.load.instances;
      if (r.hb.state !== "ready") continue;
      for (const v of r.hb.versions) if (v.warm > 0) warm[v.key] = (warm[v.key] ?? 0) + v.warm;
    }
    return {
      id: "fleet",
      backend: live[0]?.hb.backend ?? "process",
      state: this.registry.ready().length > 0 ? "ready" : "stopped",
      inflight,
      instances,
      warm,
    };
  }

  /** Start `count` instances spread over the ready runners (a blue-green prewarm); resolves with the live total. */
  async prewarm(spec: FunctionSpec, count: number): Promise<number> {
    const runners = [...this.registry.ready()];
    if (count <= 0 || runners.length === 0) return 0;
    const per = shares(count, runners.length);
    const results = await Promise.all(runners.map((r, i) => (per[i] > 0 ? r.client.provision({ spec, count: per[i], touch: false }) : null)));
    return results.reduce((sum, r) => sum + (r?.ok ? r.value.live : 0), 0);
  }

  /**
   * Ready a version's code on every ready runner at once (each downloads, extracts and verifies it),
   * so whichever runner takes its first invocation only loads the module. Rejects naming the runners
   * that could not; a runner that joins later fetches the code on its first cold start.
   */
  async prefetch(spec: FunctionSpec): Promise<void> {
    const runners = [...this.registry.ready()];
    const results = await Promise.all(runners.map((r) => r.client.prefetch(spec)));
    const failed = results.flatMap((r) => (r.ok ? [] : [r.error]));
    if (failed.length > 0) throw new Error(`prefetching ${spec.functionName}:${spec.version} failed on ${failed.length} of ${runners.length} runner(s): ${failed.join("; ")}`);
  }

  /** What the runners can run: a runtime is available when a ready runner has it. */
  async runtimes(): Promise<RuntimeAvailability[]> {
    const now = Date.now();
    if (this.runtimesCache && now - this.runtimesCache.at < RUNTIMES_CACHE_MS) return this.runtimesCache.value;
    const runners = this.registry.ready();
    if (runners.length === 0) return RUNTIME_IDS.map((id) => ({ id, available: false, reason: NO_RUNNER_MESSAGE }));
    const answers = await Promise.all(runners.slice(0, 8).map((r) => r.client.runtimes()));
    const merged = new Map<string, RuntimeAvailability>();
    for (const a of answers) {
      if (!a.ok) continue;
      for (const rt of a.value) {
        const seen = merged.get(rt.id);
        if (seen === undefined || (!seen.available && rt.available)) merged.set(rt.id, rt);
      }
    }
    const value = RUNTIME_IDS.map((id) => merged.get(id) ?? { id, available: false, reason: "no runner answered" });
    this.runtimesCache = { at: now, value };
    return value;
  }

  async healthCheck(): Promise<void> {
    if (this.registry.ready().length === 0) {
      const live = this.registry.live();
      const why = live.length > 0 ? ` (${live.map((r) => `${r.id} is ${r.suspect ? "unreachable" : r.hb.state}`).join(", ")})` : "";
      throw new Error(`no live runner is registered${why}; start one with \`hotswap runner\``);
    }
  }

  /** The control plane is stopping: wait for the invocations it forwarded to come back. */
  drain(): Promise<void> {
    if (this.inflight === 0) return Promise.resolve();
    return new Promise((resolve) => (this.idle = resolve));
  }

  private async attempt(runner: RunnerEntry, req: InvokeRequest, w: SpecWire): Promise<Attempt> {
    runner.sent(w.key);
    const r: ForwardResult = await runner.client.invoke(w.header, req, req.spec.timeout * 1000 + FORWARD_SLACK_MS);
    if (r.kind === "answered") {
      runner.answered(w.key, r.free, r.inflight);
      this.registry.clearSuspect(runner);
      const o = r.outcome;
      if (o.kind === "platform-error" && o.refused) return { retry: `runner ${runner.id} refused it: ${o.message}`, refusal: o };
      return { done: o };
    }
    runner.answered(w.key, undefined, undefined);
    const cause = describeError(r.error);
    this.registry.markSuspect(runner, cause);
    if (r.kind === "not-delivered") return { retry: `runner ${runner.id} (${runner.hb.address}) could not be reached: ${cause}` };
    return {
      done: {
        kind: "platform-error",
        code: "RunnerLost",
        message:
          `runner ${runner.id} (${runner.hb.address}) was lost while running this invocation (${cause}). ` +
          `It was delivered and may have run, so it was not retried; retry it if the function is idempotent.`,
      },
    };
  }

  /** The one retry, on another runner, after a failure before delivery. */
  private async retry(first: RunnerEntry, req: InvokeRequest, w: SpecWire, failed: { retry: string; refusal?: InvokeOutcome }): Promise<InvokeOutcome> {
    const second = this.registry.pick(w.key, first);
    if (second === undefined) return failed.refusal ?? unavailable(`${failed.retry}; no other runner is available, and the invocation was not run`);
    const a = await this.attempt(second, req, w);
    if ("done" in a) return a.done;
    return a.refusal ?? unavailable(`${failed.retry}; then ${a.retry}. The invocation was not run; retry later`);
  }
}

function unavailable(message: string): InvokeOutcome {
  return { kind: "platform-error", code: "ServiceUnavailable", message };
}

function describeError(e: Error): string {
  const code = (e as { code?: string }).code;
  const causeCode = (e.cause as { code?: string } | undefined)?.code;
  return [code ?? causeCode, e.message].filter(Boolean).join(": ");
}
