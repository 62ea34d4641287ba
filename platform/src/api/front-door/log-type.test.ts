import assert from "node:assert/strict";
import { test } from "node:test";
import { ApiError } from "../../../../protocol/errors.ts";
import { logResultOf, logTypeOf } from "./log-type.ts";
import type { InvokeOutcome } from "../../../../protocol/invoke.ts";

const outcome = (logTail?: string): InvokeOutcome => ({ kind: "success", payload: Buffer.from("{}"), coldStart: false, start: "warm", durationMs: 1, logTail }) as InvokeOutcome;

test("Tail asks for the log tail; None or no header does not; anything else is a ValidationError naming the header", () => {
  assert.equal(logTypeOf("Tail", "X-Amz-Log-Type"), true);
  assert.equal(logTypeOf("None", "X-Amz-Log-Type"), false);
  assert.equal(logTypeOf(undefined, "X-Amz-Log-Type"), false);
  const bad = logTypeOf("tail", "X-Amz-Log-Type");
  assert.ok(bad instanceof ApiError);
  assert.equal(bad.code, "ValidationError");
  assert.match(bad.message, /^X-Amz-Log-Type "tail" is not valid; use Tail/);
});

test("the log result is base64 of the last 4 KB at most, never starting inside a UTF-8 character", () => {
  assert.equal(logResultOf(outcome()), undefined);
  assert.equal(logResultOf(undefined), undefined);
  assert.equal(Buffer.from(logResultOf(outcome("START\nhello\n"))!, "base64").toString(), "START\nhello\n");
  const long = "€".repeat(2000); // 6,000 bytes of three-byte characters
  const text = Buffer.from(logResultOf(outcome(long))!, "base64").toString();
  assert.ok(Buffer.byteLength(text) <= 4096 && Buffer.byteLength(text) >= 4094, String(Buffer.byteLength(text)));
  assert.ok(!text.includes("\uFFFD"), "no broken character");
  assert.ok(long.endsWith(text));
});
