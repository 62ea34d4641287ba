/**
 * Finding 3 (leftovers): instances of a runner that crashed (SIGKILL, no chance to clean up) and
 * their detached grandchildren are killed when a runner starts again with the same id, as the
 * Docker backend removes a predecessor's containers by label. Also: a Runtime API instance is in
 * its cgroup before it runs user code (the gate), so even its first grandchild is covered.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Sandbox, parseUidRange } from "../../runner/src/sandbox/index.ts";
import { IS_CI } from "../support/services.ts";
import { waitFor } from "../support/wait-for.ts";
import { hostileSource } from "./hostile-function.ts";

const isRoot = process.getuid?.() === 0;
if (!isRoot && IS_CI) throw new Error("CI=true: the sandbox suite needs root (the process backend sandboxes only as root)");

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

async function codeDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "hs-sec-crash-code-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, "index.js"), hostileSource());
  await chmod(join(dir, "index.js"), 0o444);
  await chmod(dir, 0o555);
  return dir;
}

for (const protocol of ["fast", "runtime-api"] as const) {
  test(`a crashed runner's instances and their detached grandchildren are reaped when it starts again (${protocol})`, { skip: !isRoot && "needs root", timeout: 60_000 }, async (t) => {
    const runnerId = `crash-test-${process.pid}-${protocol}`;
    const dir = await codeDir(t);
    const child = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "support/doomed-runner.ts"), runnerId, dir, protocol], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout!.on("data", (d) => (out += d));
    const line = await waitFor("the doomed runner's report", () => out.split("\n").find((l) => l.startsWith("{")), { timeoutMs: 30_000 });
    const { instancePid, sleeperPid, cgroupPids } = JSON.parse(line) as { instancePid: number; sleeperPid: number; cgroupPids: number[] };
    assert.ok(cgroupPids.includes(instancePid) && cgroupPids.includes(sleeperPid), `the instance and its grandchild are in the instance's cgroup: ${cgroupPids}`);
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
    assert.ok(alive(sleeperPid), "nothing killed the grandchild yet: the runner had no chance to");
    // The runner comes back with the same id.
    const restarted = await Sandbox.open({ mode: "auto", uidRange: parseUidRange("200000-265535"), pidsMax: 256, runnerId });
    assert.ok(restarted.isolating);
    await waitFor(`the crashed runner's processes to be gone`, () => !alive(sleeperPid) && !alive(instancePid), { timeoutMs: 5000 });
  });
}
