/**
 * The fleet invoke reply round-trips: what the runner writes (outcomeHeaders(), its placement
 * headers and the body) decodeReply() reads back to the same outcome and placement data.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { InvokeOutcome } from "./invoke.ts";
import { decodeReply, HEADER_RUNNER_FREE, HEADER_RUNNER_ID, HEADER_RUNNER_INFLIGHT, outcomeBody, outcomeHeaders } from "./fleet.ts";

/** The reply as it reaches the control plane: undici's flat [name, value, …] list of buffers. */
function wire(outcome: InvokeOutcome, extra: Record<string, string | number> = {}): { raw: Buffer[]; body: Buffer } {
  const headers: Record<string, string | number> = { ...outcomeHeaders(outcome), ...extra, "content-type": "application/octet-stream" };
  const raw: Buffer[] = [];
  // Header names may arrive in any case; the decoder must not care.
  for (const [name, value] of Object.entries(headers)) raw.push(Buffer.from(name.toUpperCase(), "latin1"), Buffer.from(String(value), "latin1"));
  return { raw, body: outcomeBody(outcome) };
}

test("every outcome kind decodes to the outcome the runner encoded, with its placement data", () => {
  const outcomes: InvokeOutcome[] = [
    { kind: "success", payload: Buffer.from('{"ok":"héllo"}'), coldStart: true, start: "stem", durationMs: 12.5 },
    { kind: "success", payload: Buffer.alloc(0), coldStart: false, start: "warm", durationMs: 0.125 },
    { kind: "function-error", payload: Buffer.from('{"errorType":"Error","errorMessage":"boom","stackTrace":[]}'), coldStart: false, start: "fresh", durationMs: 3 },
    { kind: "platform-error", code: "ServiceUnavailable", message: "runner is draining", refused: true },
    { kind: "platform-error", code: "TimeoutError", message: "Task timed out after 5.00 seconds", coldStart: false, start: "warm", durationMs: 5000 },
    { kind: "platform-error", code: "InternalError", message: "crashed: exit code 134 (ümlaut)" },
    // An init error travels with the runtime's own document, byte for byte.
    {
      kind: "platform-error",
      code: "InitError",
      message: "Error: Cannot find module 'x'\nRequire stack:\n- /var/task/index.js",
      errorDocument: Buffer.from(JSON.stringify({ errorType: "Runtime.ImportModuleError", errorMessage: "Error: Cannot find module 'x'\nRequire stack:\n- /var/task/index.js", trace: ["a"] })),
      coldStart: true,
      start: "fresh",
      durationMs: 40,
    },
  ];
  for (const outcome of outcomes) {
    const { raw, body } = wire(outcome, { [HEADER_RUNNER_FREE]: 3, [HEADER_RUNNER_INFLIGHT]: 7, [HEADER_RUNNER_ID]: "r-1" });
    assert.deepEqual(decodeReply(200, raw, body), { outcome, free: 3, inflight: 7 }, JSON.stringify(outcome));
  }
});

test("placement data is undefined when the runner sent none", () => {
  const { raw, body } = wire({ kind: "success", payload: Buffer.from("1"), coldStart: false, start: "warm", durationMs: 1 });
  const r = decodeReply(200, raw, body);
  assert.equal(r.free, undefined);
  assert.equal(r.inflight, undefined);
});

test("an unknown error code becomes InternalError; a non-200 reply is the runner refusing the request", () => {
  const { raw } = wire({ kind: "platform-error", code: "InternalError", message: "x" });
  const i = raw.findIndex((b) => b.toString().toLowerCase() === "x-hotswap-error-code");
  raw[i + 1] = Buffer.from("NoSuchCode");
  assert.deepEqual(decodeReply(200, raw, Buffer.from("x")).outcome, { kind: "platform-error", code: "InternalError", message: "x" });

  const unauthorized = decodeReply(401, [], Buffer.from('{"error":"bad secret"}'));
  assert.deepEqual(unauthorized.outcome, {
    kind: "platform-error",
    code: "ServiceUnavailable",
    message: 'runner answered HTTP 401: {"error":"bad secret"}',
    refused: true,
  });
  const bad = decodeReply(400, [], Buffer.from("bad spec"));
  assert.deepEqual(bad.outcome, { kind: "platform-error", code: "InternalError", message: "runner answered HTTP 400: bad spec", refused: false });
  // A 200 without an outcome header is not a runner's invoke reply either.
  assert.equal(decodeReply(200, [], Buffer.from("?")).outcome.kind, "platform-error");
});
