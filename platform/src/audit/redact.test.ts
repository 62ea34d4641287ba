import { test } from "node:test";
import assert from "node:assert/strict";
import { redactSecrets } from "./redact.ts";

test("masks every value of a secrets map, keeping the names", () => {
  assert.deepEqual(redactSecrets({ name: "f", environment: { A: "1" }, secrets: { DB_PASSWORD: "hunter2hunter2", API: "x" } }), {
    name: "f",
    environment: { A: "1" },
    secrets: { DB_PASSWORD: "***", API: "***" },
  });
});

test("masks secret-named string fields at any depth and API keys inside any string, but not an A/B rule's key object", () => {
  const key = `hs_abcd1234_${"Q".repeat(40)}`;
  const out = redactSecrets({ apiKey: { id: "abcd1234", secretHash: "ff", secretEnc: "v2:x" }, note: `created ${key} today`, list: [{ password: "p" }], routingConfig: { abTest: { key: { header: "x-user" } } } });
  assert.deepEqual(out, { apiKey: { id: "abcd1234", secretHash: "***", secretEnc: "***" }, note: "created hs_abcd1234_*** today", list: [{ password: "***" }], routingConfig: { abTest: { key: { header: "x-user" } } } });
  assert.ok(!JSON.stringify(out).includes("Q".repeat(40)));
});

test("leaves null, numbers and plain values alone and never walks without bound", () => {
  assert.equal(redactSecrets(null), null);
  assert.equal(redactSecrets(3), 3);
  let deep: unknown = { secret: "s" };
  for (let i = 0; i < 50; i++) deep = { d: deep };
  assert.ok(!JSON.stringify(redactSecrets(deep)).includes('"s"'));
});
