import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { SecretBox } from "../auth/secret-box.ts";
import { assertSecretsFit, maskSecrets, openSecrets, sealSecrets } from "./function-secrets.ts";

const box = new SecretBox(randomBytes(32));

test("seals each value for its function and name; *** keeps the stored value; opening gives the plain values back", () => {
  const first = sealSecrets(box, "fn", { A: "alpha", B: "beta" });
  assert.ok(!JSON.stringify(first).includes("alpha"));
  const next = sealSecrets(box, "fn", { A: "***", C: "gamma" }, first);
  assert.equal(next.A, first.A, "*** keeps the sealed value as it was");
  assert.deepEqual(openSecrets(box, "fn", next), { A: "alpha", C: "gamma" });
  assert.deepEqual(maskSecrets(next), { A: "***", C: "***" });
});

test("a sealed value copied onto another function or name does not open", () => {
  const sealed = sealSecrets(box, "fn", { A: "alpha" });
  assert.throws(() => openSecrets(box, "other", sealed), /Cannot decrypt/);
  assert.throws(() => openSecrets(box, "fn", { B: sealed.A }), /Cannot decrypt/);
});

test("refuses *** for a name with no stored value, a name in both maps, and more than 4 KB together", () => {
  assert.throws(() => sealSecrets(box, "fn", { NEW: "***" }), (e: Error) => /has no secret "NEW"; send its value/.test(e.message));
  assert.throws(() => assertSecretsFit({ A: "1" }, { A: "2" }), /"A" is in both environment and secrets/);
  assert.throws(() => assertSecretsFit({ A: "x".repeat(3000) }, { B: "y".repeat(1500) }), /together are about \d+ bytes; the limit is 4096/);
  assert.doesNotThrow(() => assertSecretsFit({ A: "x".repeat(3000) }, { B: "***" }));
});
