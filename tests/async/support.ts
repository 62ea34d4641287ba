/** Helpers shared by the asynchronous-invocation tests: functions from inline code, and waiting for a record to finish. */
import assert from "node:assert/strict";
import { createApiClient, type ApiClient } from "../../client/index.ts";
import type { InvocationView } from "../../protocol/api/invocations.ts";
import type { TestPlatform } from "../support/platform.ts";
import { waitFor } from "../support/wait-for.ts";
import { zipFiles } from "../support/zip.ts";

/** Settings that make retries and takeovers fast enough for tests. */
export const FAST_ASYNC_ENV = { HOTSWAP_ASYNC_RETRY_DELAYS: "PT0.1S,PT0.2S", HOTSWAP_ASYNC_STALE_AFTER: "PT1S" };

/** A handler that returns its event. */
export const ECHO = "exports.handler = async (event, context) => ({ got: event, requestId: context.awsRequestId });";
/** A handler that always throws. */
export const FAILS = 'exports.handler = async (event) => { const e = new Error("boom " + JSON.stringify(event)); e.name = "BoomError"; throw e; };';

export function apiOf(p: TestPlatform): ApiClient {
  return createApiClient({ baseUrl: p.url, apiKey: p.key });
}

/** Create function `name` with `code` as index.js and publish version 1. */
export async function deployInline(p: TestPlatform, name: string, code: string): Promise<void> {
  const created = await p.api("POST", "/api/v1/functions", { name, runtime: "nodejs20", handler: "index.handler" });
  assert.equal(created.status, 201, created.text);
  const published = await p.api("POST", `/api/v1/functions/${name}/versions`, zipFiles({ "index.js": code }), { "content-type": "application/zip" });
  assert.equal(published.status, 201, published.text);
}

const FINAL = new Set(["Succeeded", "Failed", "DeadLettered"]);

/** The record once it is final (Succeeded, Failed or DeadLettered). */
export async function finalRecord(api: ApiClient, requestId: string, timeoutMs = 20_000): Promise<InvocationView> {
  return waitFor(
    `invocation ${requestId} to finish`,
    async () => {
      const r = await api.async.get(requestId);
      return r.ok && FINAL.has(r.value.status) ? r.value : undefined;
    },
    { timeoutMs, intervalMs: 50 },
  );
}

/** The records of `fn` (newest first) once there are at least `n` final ones. */
export async function finalRecordsOf(api: ApiClient, fn: string, n: number, timeoutMs = 20_000): Promise<InvocationView[]> {
  return waitFor(
    `${n} finished invocations of ${fn}`,
    async () => {
      const r = await api.async.list(fn, { limit: 100 });
      if (!r.ok) return undefined;
      const done = r.value.invocations.filter((i) => FINAL.has(i.status));
      return done.length >= n ? done : undefined;
    },
    { timeoutMs, intervalMs: 50 },
  );
}

/** The records of `ids`, in order, once every one is final (none lost: a missing one keeps it waiting). */
export async function allFinal(api: ApiClient, ids: readonly string[], timeoutMs: number): Promise<InvocationView[]> {
  return waitFor(
    `all ${ids.length} events to finish`,
    async () => {
      const out: InvocationView[] = [];
      for (const id of ids) {
        const r = await api.async.get(id);
        if (!r.ok || !FINAL.has(r.value.status)) return undefined;
        out.push(r.value);
      }
      return out;
    },
    { timeoutMs, intervalMs: 250 },
  );
}
