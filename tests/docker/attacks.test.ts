/**
 * The security suite's hostile function (tests/security/hostile-function.ts) on the Docker backend,
 * for the attacks that apply there and that isolation.test.ts does not already check from the
 * outside: reading the control plane's environment through /proc, reading the data dir
 * (secret.key), and rewriting its own code. Each attack must fail with the operating system's
 * refusal, and the function must still run its original code afterwards. (Another instance's
 * Runtime API: network.test.ts.)
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Instance } from "../../runner/src/backends/backend.ts";
import { fixtureSpec } from "../../runner/src/backends/backend.contract.ts";
import type { DockerBackend } from "../../runner/src/backends/docker/index.ts";
import { hostileSource } from "../security/hostile-function.ts";
import { dockerSkipReason, testBackend } from "./support.ts";

const skip = await dockerSkipReason();
const SECRET_VAR = "HOTSWAP_ATTACK_TEST_SECRET";

describe("hostile function on the docker backend", { skip }, () => {
  let backend: DockerBackend;
  let dir: string;
  let inst: Instance;

  before(async () => {
    process.env[SECRET_VAR] = "must-not-leak";
    dir = await mkdtemp(join(tmpdir(), "hs-docker-attacks-"));
    await writeFile(join(dir, "secret.key"), "k".repeat(40), { mode: 0o600 });
    const code = join(dir, "code");
    await mkdir(code);
    await writeFile(join(code, "index.js"), hostileSource());
    backend = testBackend("attacks");
    const spec = fixtureSpec("hostile", "nodejs20", { memorySize: 128 });
    inst = await backend.start({ runtime: "nodejs20", protocol: "fast", memorySize: 128, spec, codeDir: code });
  });
  after(async () => {
    delete process.env[SECRET_VAR];
    inst?.kill("killed");
    await backend?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function attack(event: object): Promise<any> {
    const r = await inst.invoke({ requestId: `attack-${Date.now()}`, payload: Buffer.from(JSON.stringify(event)), deadlineMs: Date.now() + 10_000 });
    assert.equal(r.kind, "success", JSON.stringify(r.kind === "platform-error" ? r : r.payload.toString()));
    return JSON.parse((r as { payload: Buffer }).payload.toString());
  }

  test("cannot read the control plane's environment: its /proc entry does not exist in the container", async () => {
    for (const path of [`/proc/${process.pid}/environ`, `/proc/${process.ppid}/environ`]) {
      const r = await attack({ action: "read", path });
      assert.equal(r.ok, false, `${path}: ${JSON.stringify(r)}`);
    }
    // Its own process tree holds the function's environment only.
    const own = await attack({ action: "read", path: "/proc/1/environ" });
    assert.ok(!own.ok || !String(own.value).includes("must-not-leak"), JSON.stringify(own));
    const listed = await attack({ action: "list", path: "/proc" });
    assert.ok(listed.ok, JSON.stringify(listed));
    const pids = String(listed.value).split(",").filter((n) => /^\d+$/.test(n));
    assert.ok(!pids.includes(String(process.pid)), `the runner's pid ${process.pid} is visible: ${pids.join(",")}`);
  });

  test("cannot read the data dir: the host's files are not in the container", async () => {
    const r = await attack({ action: "read", path: join(dir, "secret.key") });
    assert.equal(r.ok, false, JSON.stringify(r));
    assert.equal(r.code, "ENOENT");
  });

  test("cannot write, chmod or remove its own code, and keeps running its original code", async () => {
    const me = await attack({ action: "whoami" });
    assert.equal(me.taskRoot, "/var/task");
    for (const action of ["write", "chmod", "unlink"]) {
      const r = await attack({ action, path: "/var/task/index.js" });
      assert.equal(r.ok, false, `${action}: ${JSON.stringify(r)}`);
      assert.match(String(r.code), /^(EROFS|EACCES|EPERM)$/, action);
    }
    assert.equal((await attack({ action: "whoami" })).marker, "original");
  });
});
