import assert from "node:assert/strict";
import { test } from "node:test";
import { ApiError } from "../../../protocol/errors.ts";
import type { RouteRequest } from "../router/routing-table.ts";
import { invocationOf, recordingNext, specOf } from "../../../tests/support/invocation.ts";
import { ResolveQualifierStage } from "./resolve-qualifier.ts";

function routing() {
  const calls: Array<[string, string | undefined, RouteRequest | undefined]> = [];
  return {
    calls,
    resolve(name: string, qualifier?: string, route?: RouteRequest) {
      calls.push([name, qualifier, route]);
      if (name === "missing") throw new ApiError("FunctionNotFound", "no");
      return { spec: specOf({ functionName: name, version: 7 }) };
    },
  };
}

test("resolves name, qualifier and the request's route attributes to the version that runs", async () => {
  const next = recordingNext();
  const r = routing();
  const route: RouteRequest = { header: () => undefined, cookie: () => undefined, query: () => undefined };
  await new ResolveQualifierStage(next, r).handle(invocationOf({ qualifier: "live", route }));
  assert.deepEqual(r.calls, [["fn", "live", route]]);
  assert.equal(next.seen[0]!.spec!.version, 7);
});

test("a dry run stops after resolving, with the version and no outcome", async () => {
  const next = recordingNext();
  const inv = invocationOf({ dryRun: true });
  assert.equal(await new ResolveQualifierStage(next, routing()).handle(inv), undefined);
  assert.equal(inv.spec!.version, 7);
  assert.equal(next.seen.length, 0);
});

test("passes the routing table's errors on (404 FunctionNotFound)", async () => {
  await assert.rejects(async () => new ResolveQualifierStage(recordingNext(), routing()).handle(invocationOf({ name: "missing" })), /no/);
});

test("a miss is resolved again once the table has read the function from the database; refused when it did not read", async () => {
  const next = recordingNext();
  let known = false;
  const reloads: string[] = [];
  const table = {
    resolve(name: string) {
      if (!known) throw new ApiError("VersionNotFound", `no version of ${name}`);
      return { spec: specOf({ functionName: name, version: 2 }) };
    },
    async reloadOnMiss(name: string) {
      reloads.push(name);
      known = name === "fn";
      return name === "fn";
    },
  };
  await new ResolveQualifierStage(next, table).handle(invocationOf({ qualifier: "2" }));
  assert.deepEqual(reloads, ["fn"]);
  assert.equal(next.seen[0]!.spec!.version, 2);
  known = false;
  await assert.rejects(async () => new ResolveQualifierStage(recordingNext(), table).handle(invocationOf({ name: "other" })), { code: "VersionNotFound" });
  // Other errors are never retried.
  const sealed = { resolve: () => { throw new ApiError("TooManyRequests", "x"); }, reloadOnMiss: async () => assert.fail("no reload") };
  await assert.rejects(async () => new ResolveQualifierStage(recordingNext(), sealed).handle(invocationOf({})), { code: "TooManyRequests" });
});
