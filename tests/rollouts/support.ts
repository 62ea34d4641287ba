/**
 * Helpers for the rollout tests: functions whose versions are inline code (a healthy one, one that
 * throws on every other call, a slow one), deployment polling that stops at a deadline, and a
 * bounded load generator that records every response. Deploying, invoking and reading deployments
 * go through the typed API client (tests/support/deploy.ts), which checks every answer's schema.
 */
import assert from "node:assert/strict";
import type { CreateDeploymentInput } from "../../protocol/api/deployments.ts";
import type { TestPlatform } from "../support/platform.ts";
import { apiOf, deployFunction, expectOk, invokeFunction, nodeCode } from "../support/deploy.ts";

/** Handler sources for versions; each answers with its own label so tests can tell them apart. */
export const CODE = {
  ok: (label = "ok") => `exports.handler = async (event) => ({ label: ${JSON.stringify(label)}, echo: event });`,
  /** Throws on every other invocation in each instance: a 50 % error rate. */
  flaky: () => `let n = 0;
exports.handler = async () => {
  n += 1;
  if (n % 2 === 0) throw new Error("flaky failure " + n);
  return { label: "flaky" };
};`,
  /** 300 ms slower than `ok`. */
  slow: () => `exports.handler = async () => { await new Promise((r) => setTimeout(r, 300)); return { label: "slow" }; };`,
  /** Always throws. */
  broken: () => `exports.handler = async () => { throw new Error("broken build"); };`,
  /** Sleeps event.ms (default 0). */
  sleepy: (label: string) => `exports.handler = async (event) => { await new Promise((r) => setTimeout(r, event.ms || 0)); return { label: ${JSON.stringify(label)} }; };`,
  /** A hook that fails when the deployment targets `failVersion`. */
  hook: () => `exports.handler = async (event) => {
  if (event.toVersion === Number(process.env.FAIL_VERSION)) throw new Error("hook refused version " + event.toVersion);
  return { status: "Succeeded", seen: event };
};`,
};

/** Create a function and publish one version per source; returns nothing (versions are 1..n). */
export async function createFunction(p: TestPlatform, name: string, sources: string[], settings: Record<string, unknown> = {}): Promise<void> {
  await deployFunction(p, { name, ...settings, code: sources.map(nodeCode) });
}

/** Create the function with its versions and point alias `live` at version 1. */
export async function createLiveFunction(p: TestPlatform, name: string, sources: string[], settings: Record<string, unknown> = {}): Promise<void> {
  await deployFunction(p, { name, ...settings, code: sources.map(nodeCode), alias: { name: "live", version: 1, description: "production" } });
}

/** Start a deployment (the body as the test wrote it; the API validates it) and return its id. */
export async function startDeployment(p: TestPlatform, body: Record<string, unknown>): Promise<string> {
  const started = expectOk(await apiOf(p).deployments.create(body as CreateDeploymentInput), "starting a deployment", 201);
  assert.equal(started.status, "Pending");
  return started.deploymentId;
}

export async function getDeployment(p: TestPlatform, id: string): Promise<any> {
  return expectOk(await apiOf(p).deployments.get(id), `reading deployment ${id}`, 200);
}

/** Poll the deployment (every 100 ms) until `pred` holds; fails with the last state at the deadline. */
export async function waitForDeployment(p: TestPlatform, id: string, pred: (d: any) => boolean, timeoutMs = 20_000): Promise<any> {
  const until = Date.now() + timeoutMs;
  let last: any;
  while (Date.now() < until) {
    last = await getDeployment(p, id);
    if (pred(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`deployment ${id} did not reach the expected state in ${timeoutMs} ms; last: ${JSON.stringify({ ...last, events: last?.events?.map((e: any) => `${e.type}: ${e.reason}`) }, null, 1)}`);
}

export const finished = (d: any) => ["Succeeded", "RolledBack", "Failed"].includes(d.status);

export interface LoadResult {
  /** 0 when the request failed without a response. */
  status: number;
  version: string | null;
  /** When the request was sent and when its response arrived. */
  sentAt: number;
  at: number;
}

export interface Load {
  results: LoadResult[];
  /** Stop issuing requests and wait for those in flight. */
  stop(): Promise<LoadResult[]>;
}

/**
 * Invoke `name` (alias live) from `concurrency` loops until stopped or `maxMs` passed, whichever
 * is first. Every response is recorded.
 */
export function startLoad(p: TestPlatform, name: string, opts: { concurrency?: number; maxMs?: number; event?: unknown; headers?: Record<string, string> } = {}): Load {
  const results: LoadResult[] = [];
  let stopped = false;
  const deadline = Date.now() + (opts.maxMs ?? 30_000);
  const loop = async () => {
    while (!stopped && Date.now() < deadline) {
      const sentAt = Date.now();
      const res = await invokeFunction(p, name, opts.event ?? {}, { headers: opts.headers });
      results.push({ status: res.status, version: res.headers.get("x-hotswap-version"), sentAt, at: Date.now() });
      // No answer: the control plane is gone (a chaos test killed it). Back off.
      if (res.status === 0) await new Promise((r) => setTimeout(r, 50));
    }
  };
  const loops = Array.from({ length: opts.concurrency ?? 4 }, loop);
  return {
    results,
    async stop() {
      stopped = true;
      await Promise.all(loops);
      return results;
    },
  };
}

/** Invoke `name` unqualified (alias live) with `headers` and a query string such as `?tenant=t1`. */
export async function invokeLive(p: TestPlatform, name: string, headers: Record<string, string> = {}, query = ""): Promise<{ status: number; version: string | null; json: any }> {
  const r = await invokeFunction(p, name, {}, { headers, query: Object.fromEntries(new URLSearchParams(query)) });
  return { status: r.status, version: r.headers.get("x-hotswap-version"), json: r.json };
}

/**
 * Invoke `name` with keys 0..n-1 (`request(i)` gives each one's headers and query) until a round
 * runs `variant` on some key, and return that round's versions in key order. A deployment's phase
 * is persisted before its alias is written (the crash-safe order), so a test that saw phase "ab"
 * can still be a moment ahead of the routing; this waits for the routing itself.
 */
export async function keyedRoundOnceRouted(
  p: TestPlatform,
  name: string,
  n: number,
  request: (i: number) => { headers?: Record<string, string>; query?: string },
  variant = "2",
  timeoutMs = 10_000,
): Promise<string[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const round = await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const { headers = {}, query = "" } = request(i);
        const r = await invokeLive(p, name, headers, query);
        assert.equal(r.status, 200, JSON.stringify(r.json));
        return r.version!;
      }),
    );
    if (round.includes(variant)) return round;
    if (Date.now() > until) assert.fail(`no key ran version ${variant} within ${timeoutMs} ms: ${round.join(",")}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
