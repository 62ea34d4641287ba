/**
 * The Java bootstrap against the golden frames (runtimes/fixtures/frames): FramesTest.java replays
 * every case through its codec, and the bootstrap, run as a process on a socketpair fd as the
 * process backend runs it, says hello and then leaves with the protocol's message on an oversized
 * or non-JSON frame instead of reading it. Without a JDK 17 the test is skipped with the reason,
 * except under CI=true, where that is a failure (scripts/ci/ensure-java.sh installs one).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import type { Duplex } from "node:stream";
import { fileURLToPath } from "node:url";
import { javaArgs } from "../../runner/src/backends/common/java-options.ts";
import { javaMissing } from "../../tests/support/java-function.ts";
import { bootstrapClasses, runJavaTestClass } from "./java-test-class.ts";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const FIXTURES = path.join(HERE, "..", "fixtures", "frames");
const missing = javaMissing();
const manifest = JSON.parse(readFileSync(path.join(FIXTURES, "frames.json"), "utf8")) as { cases: { name: string; file: string; error?: string }[] };

test("the Java bootstrap decodes, encodes and refuses the golden frames as the manifest says (FramesTest.java)", { skip: missing }, async () => {
  const checks = await runJavaTestClass("FramesTest", [FIXTURES]);
  assert.ok(checks > 1000, `every case, delivery and frame was checked (${checks} checks)`);
});

for (const name of ["oversize-by-one", "header-not-json"]) {
  test(`the bootstrap process says hello on fd 3, then refuses the golden ${name} frame with the reason and exit code 1`, { skip: missing }, async () => {
    const c = manifest.cases.find((x) => x.name === name)!;
    const classes = await bootstrapClasses();
    const child = spawn("java", javaArgs(128, classes), {
      env: { PATH: process.env.PATH ?? "", HOTSWAP_CHANNEL_FD: "3" },
      stdio: ["ignore", "ignore", "pipe", "pipe"],
    });
    const chan = child.stdio[3] as unknown as Duplex;
    let stderr = "";
    child.stderr!.on("data", (d: Buffer) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      const hello = await new Promise<Buffer>((resolve) => {
        let buf = Buffer.alloc(0);
        chan.on("data", (d: Buffer) => {
          buf = Buffer.concat([buf, d]);
          if (buf.length >= 8 && buf.length >= 8 + buf.readUInt32BE(0) + buf.readUInt32BE(4)) resolve(buf);
        });
      });
      const header = JSON.parse(hello.subarray(8, 8 + hello.readUInt32BE(0)).toString("utf8"));
      assert.equal(header.type, "hello");
      assert.equal(header.runtime, "java");
      assert.match(header.version, /^17\./);
      assert.equal(header.pid, child.pid);
      chan.write(readFileSync(path.join(FIXTURES, c.file)));
      assert.equal(await exited, 1, stderr);
      assert.ok(stderr.includes(`hotswap bootstrap: ${c.error}`), stderr);
    } finally {
      child.kill("SIGKILL");
    }
  });
}
