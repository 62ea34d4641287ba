/** Deploying and invoking the fleet test function (fixtures/whoami) through a control plane's API, with the shared client helpers. */
import { apiOf, deployFunction, expectOk, invokeFunction } from "../../support/deploy.ts";
import { zipDir } from "../../support/zip.ts";
import type { ControlPlane } from "./cluster.ts";

const WHOAMI = new URL("../fixtures/whoami/", import.meta.url).pathname;

/** Create a nodejs20 function running fixtures/whoami with `settings`, and publish version 1. */
export async function deployWhoami(cp: ControlPlane, name: string, settings: Record<string, unknown> = {}): Promise<void> {
  await deployFunction(cp, { name, ...settings, code: zipDir(WHOAMI) });
}

export interface Invocation {
  status: number;
  body: any;
  text: string;
  headers: Headers;
  startedAt: number;
  endedAt: number;
  /** Set when no HTTP response came back at all. */
  fetchError?: string;
}

/** Invoke `name` with `event`; never throws (a missing response is reported in fetchError). */
export async function invoke(cp: ControlPlane, name: string, event: unknown = {}, timeoutMs = 30_000): Promise<Invocation> {
  const startedAt = Date.now();
  const r = await invokeFunction(cp, name, event, { timeoutMs });
  const inv: Invocation = { status: r.status, body: r.json, text: r.text, headers: r.headers, startedAt, endedAt: Date.now() };
  if (r.fetchError !== undefined) inv.fetchError = r.fetchError;
  return inv;
}

/** Fleet-wide instances of `fn` per runner id, as GET /api/v1/runners shows them. */
export async function instancesOf(cp: ControlPlane, fn: string): Promise<Map<string, { instances: number; held: number; warm: number }>> {
  const list = expectOk(await apiOf(cp).runners.list(), "listing runners");
  const out = new Map<string, { instances: number; held: number; warm: number }>();
  for (const r of list.runners) {
    const w = r.warm.filter((v) => v.function === fn);
    out.set(r.id, {
      instances: w.reduce((a, v) => a + v.instances, 0),
      held: w.reduce((a, v) => a + v.held, 0),
      warm: w.reduce((a, v) => a + v.warm, 0),
    });
  }
  return out;
}

export function total(m: Map<string, { instances: number; held: number }>, field: "instances" | "held"): number {
  let n = 0;
  for (const v of m.values()) n += v[field];
  return n;
}
