/** Deploying and invoking the fleet test function (fixtures/whoami) through a control plane's API. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { zipDir } from "../../support/zip.ts";
import type { ControlPlane } from "./cluster.ts";

const WHOAMI = join(new URL("../fixtures/whoami/", import.meta.url).pathname);

/** Create a nodejs20 function running fixtures/whoami with `settings`, and publish version 1. */
export async function deployWhoami(cp: ControlPlane, name: string, settings: Record<string, unknown> = {}): Promise<void> {
  const created = await cp.api("POST", "/api/v1/functions", { name, runtime: "nodejs20", handler: "index.handler", ...settings });
  assert.equal(created.status, 201, created.text);
  const v = await cp.api("POST", `/api/v1/functions/${name}/versions`, zipDir(WHOAMI), { "content-type": "application/zip" });
  assert.equal(v.status, 201, v.text);
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
  try {
    const res = await fetch(`${cp.url}/api/v1/functions/${name}/invoke`, {
      method: "POST",
      headers: { authorization: `Bearer ${cp.key}`, "content-type": "application/json" },
      body: JSON.stringify(event),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { status: res.status, body, text, headers: res.headers, startedAt, endedAt: Date.now() };
  } catch (e) {
    return { status: 0, body: undefined, text: "", headers: new Headers(), startedAt, endedAt: Date.now(), fetchError: (e as Error).message };
  }
}

/** Fleet-wide instances of `fn` per runner id, as GET /api/v1/runners shows them. */
export async function instancesOf(cp: ControlPlane, fn: string): Promise<Map<string, { instances: number; held: number; warm: number }>> {
  const list = await cp.api("GET", "/api/v1/runners");
  const out = new Map<string, { instances: number; held: number; warm: number }>();
  for (const r of list.json.runners as Array<{ id: string; warm: Array<{ function: string; instances: number; held: number; warm: number }> }>) {
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
