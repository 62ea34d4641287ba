/**
 * What the sandbox decides at open: off (not root, or RUNNER_SANDBOX=off) logs exactly one warning
 * that nothing is isolated and prepares nothing; the uid range is parsed strictly.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Sandbox, cgroupMemoryBytes, parseUidRange } from "./index.ts";

test("RUNNER_SANDBOX=off: one warning that it isolates nothing and suits trusted code only; instances get no sandbox", async () => {
  const warnings: string[] = [];
  const infos: string[] = [];
  const sandbox = await Sandbox.open({
    mode: "off",
    uidRange: parseUidRange("200000-200009"),
    pidsMax: 64,
    runnerId: "t",
    log: { warn: (_o, m) => warnings.push(m), info: (_o, m) => infos.push(m) },
  });
  assert.equal(sandbox.isolating, false);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /isolates nothing and suits trusted code only/);
  assert.match(warnings[0]!, /RUNNER_SANDBOX=off/);
  assert.equal(await sandbox.prepare("i1", 128), undefined);
  assert.equal(await sandbox.asSandboxUser(async (u) => u), undefined);
});

test("the cgroup allows memorySize plus a quarter (at least 64 MB) for the whole tree", () => {
  assert.equal(cgroupMemoryBytes(128), 192 * 1024 * 1024);
  assert.equal(cgroupMemoryBytes(1024), 1280 * 1024 * 1024);
});

test("uid ranges: first-last above the system users", () => {
  assert.deepEqual(parseUidRange("200000-265535"), { first: 200000, last: 265535 });
  assert.throws(() => parseUidRange("abc"), /is not a uid range/);
  assert.throws(() => parseUidRange("10-20"), /below 1000/);
});

test("as root it gives instances distinct uids, a 0700 temp dir of their own, and frees them", { skip: process.getuid?.() !== 0 && "needs root" }, async () => {
  const sandbox = await Sandbox.open({ mode: "auto", uidRange: parseUidRange("265500-265535"), pidsMax: 64, runnerId: `unit-${process.pid}` });
  assert.ok(sandbox.isolating);
  const a = (await sandbox.prepare("ia", 128))!;
  const b = (await sandbox.prepare("ib", 128))!;
  try {
    assert.notEqual(a.user.uid, b.user.uid);
    assert.notEqual(a.tmpDir, b.tmpDir);
    assert.equal(a.env.TMPDIR, a.tmpDir);
  } finally {
    await a.release();
    await b.release();
  }
});
