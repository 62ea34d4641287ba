import assert from "node:assert/strict";
import { test } from "node:test";
import { ApiError, isApiError } from "../../../protocol/errors.ts";
import type { InvokeRequest } from "../../../protocol/invoke.ts";
import type { CredentialRequest } from "../auth/credentials.ts";
import type { Principal } from "../auth/principal.ts";
import { invocationOf, specOf, SUCCESS } from "../../../tests/support/invocation.ts";
import { InvocationPipeline } from "./pipeline.ts";

const ADMIN: Principal = { subject: "key:a", keyId: "a", method: "bearer", roles: ["admin"] };
const VIEWER: Principal = { subject: "key:v", keyId: "v", method: "bearer", roles: ["viewer"] };

const credentials: CredentialRequest = {
  method: "POST",
  path: "/api/v1/functions/fn/invoke",
  rawPath: "/api/v1/functions/fn/invoke",
  rawQuery: "",
  header: () => "Bearer t",
  get: () => "Bearer t",
  body: async () => new Uint8Array(),
};

function pipeline(opts: { principal?: Principal; capped?: boolean } = {}) {
  const trail: string[] = [];
  const sent: InvokeRequest[] = [];
  const p = new InvocationPipeline({
    authenticators: [() => (trail.push("authenticate"), opts.principal ?? ADMIN)],
    routing: {
      resolve: (name) => {
        trail.push("resolve");
        if (name === "missing") throw new ApiError("FunctionNotFound", `Function "${name}" does not exist.`);
        return { spec: specOf({ functionName: name, ...(opts.capped ? { reservedConcurrency: 1 } : {}) }) } as never;
      },
    },
    reservations: {
      admit: () => (trail.push("reserve"), undefined),
      release: () => void trail.push("release"),
    },
    observers: [{ observe: () => void trail.push("observe") }],
    runner: { invoke: async (req) => (trail.push("runner"), sent.push(req), SUCCESS) },
  });
  return { p, trail, sent };
}

test("runs the stages in the declared order", async () => {
  const { p, trail, sent } = pipeline({ capped: true });
  const inv = invocationOf({ requestId: "", credentials, source: { readPayload: async () => (trail.push("event"), Buffer.from('{"n":1}')) } });
  assert.equal(await p.handle(inv), SUCCESS);
  // Observe sits inside the reservation: it sees the outcome before the slot is given back.
  assert.deepEqual(trail, ["authenticate", "event", "resolve", "reserve", "runner", "observe", "release"]);
  assert.equal(sent[0]!.requestId, inv.requestId);
  assert.match(inv.requestId, /^[0-9a-f-]{36}$/, "the request-id stage assigned one");
  assert.equal(sent[0]!.payload.toString(), '{"n":1}');
});

test("with a cached credential, the event is being read before the first await (body listeners attach in the request's turn)", () => {
  const { p } = pipeline();
  let reading = false;
  void p.handle(invocationOf({ credentials, source: { readPayload: () => ((reading = true), new Promise(() => {})) } }));
  assert.equal(reading, true);
});

test("refuses a principal without functions:invoke with 403 before reading the event or resolving", async () => {
  const { p, trail } = pipeline({ principal: VIEWER });
  await assert.rejects(
    async () => p.handle(invocationOf({ credentials, source: { readPayload: async () => (trail.push("event"), Buffer.from("{}")) } })),
    (e: unknown) => isApiError(e) && e.code === "Forbidden" && e.message.includes('"functions:invoke"'),
  );
  assert.deepEqual(trail, ["authenticate"]);
});

test("raises an entry's rejection after authentication, before the event is read", async () => {
  const { p, trail } = pipeline();
  const rejection = new ApiError("ValidationError", "bad name");
  await assert.rejects(async () => p.handle(invocationOf({ credentials, rejection, source: { readPayload: async () => (trail.push("event"), Buffer.from("{}")) } })), (e) => e === rejection);
  assert.deepEqual(trail, ["authenticate"]);
});

test("a dry run resolves and runs nothing", async () => {
  const { p, trail } = pipeline();
  const inv = invocationOf({ credentials, dryRun: true });
  assert.equal(await p.handle(inv), undefined);
  assert.equal(inv.spec!.functionName, "fn");
  assert.deepEqual(trail, ["authenticate", "resolve"]);
});

test("withAuthenticators keeps the chain and swaps who may come in", async () => {
  const { p } = pipeline();
  const none = p.withAuthenticators([]);
  await assert.rejects(async () => none.handle(invocationOf({ credentials, payload: Buffer.from("{}") })), (e: unknown) => isApiError(e) && e.code === "Unauthorized");
});

test("an observer that throws is reported through onObserverError and the caller still gets the outcome", async () => {
  const reported: unknown[] = [];
  const p = new InvocationPipeline({
    routing: { resolve: (name) => ({ spec: specOf({ functionName: name }) }) as never },
    observers: [{ observe: () => { throw new Error("observer broke"); } }],
    onObserverError: (e) => reported.push(e),
    runner: { invoke: async () => SUCCESS },
  });
  assert.equal(await p.handle(invocationOf({ principal: ADMIN, payload: Buffer.from("{}") })), SUCCESS);
  assert.equal((reported[0] as Error).message, "observer broke");
});
