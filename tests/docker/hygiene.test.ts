/**
 * Container hygiene on the docker backend: hotswap.* labels on every container (function
 * containers, stems, the code loader), removal at start-up of what a crashed predecessor with the
 * same runner id left (and nothing of other runners), and a graceful shutdown that removes every
 * container and the code volume.
 */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { fixtureDir, fixtureSpec } from "../../runner/src/backends/backend.contract.ts";
import { codeVolumeName } from "../../runner/src/backends/docker/code-volume.ts";
import { DockerBackend } from "../../runner/src/backends/docker/index.ts";
import { containersOf, docker, dockerSkipReason, IMAGE_TAG, testBackend, testRunnerId, volumesOf } from "./support.ts";

const CRASHING_RUNNER = fileURLToPath(new URL("./fixtures/crashing-runner.ts", import.meta.url));
const skip = await dockerSkipReason();

/** Run fixtures/crashing-runner.ts as `runnerId`, wait for "ready", then SIGKILL it. */
async function crashARunner(runnerId: string): Promise<void> {
  const child = spawn(process.execPath, ["--import", "tsx", CRASHING_RUNNER, runnerId, IMAGE_TAG], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stderr.on("data", (d) => (output += d));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the crashing runner did not get ready in 60 s: ${output}`)), 60_000);
    child.stdout.on("data", (d) => {
      if (String(d).includes("ready")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => reject(new Error(`the crashing runner exited with ${code}: ${output}`)));
  });
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGKILL");
  await exited;
}

describe("docker hygiene", { skip }, () => {
  const bystanders: string[] = [];
  after(async () => {
    for (const id of bystanders) await docker.getContainer(id).remove({ force: true }).catch(() => {});
  });

  test("every container carries hotswap.managed, runner, function, version and role labels", async () => {
    const backend = testBackend("labels");
    const { runnerId } = backend;
    try {
      const spec = fixtureSpec("node-cjs", "nodejs20", { functionName: "labelled", version: 7 });
      await backend.start({ runtime: "nodejs20", protocol: "fast", memorySize: 128, spec, codeDir: fixtureDir("node-cjs") });
      await backend.start({ runtime: "provided", protocol: "runtime-api", memorySize: 128, spec: fixtureSpec("provided-bash", "provided", { functionName: "bash-fn" }), codeDir: fixtureDir("provided-bash") });
      await backend.start({ runtime: "python3.11", protocol: "fast", memorySize: 128 });
      const all = await containersOf(runnerId);
      assert.equal(all.length, 4, "two function containers, a stem, the code loader");
      for (const c of all) {
        for (const label of ["hotswap.managed", "hotswap.runner", "hotswap.function", "hotswap.version", "hotswap.role"]) {
          assert.ok(label in c.Labels, `${c.Names[0]} lacks ${label}`);
        }
        assert.equal(c.Labels["hotswap.managed"], "true");
        assert.equal(c.Labels["hotswap.runner"], runnerId);
        assert.ok(c.Names[0].startsWith(`/hotswap-${runnerId}-`), c.Names[0]);
      }
      const byRole = (role: string) => all.filter((c) => c.Labels["hotswap.role"] === role);
      assert.deepEqual(
        byRole("instance").map((c) => [c.Labels["hotswap.function"], c.Labels["hotswap.version"], c.Labels["hotswap.runtime"]]).sort(),
        [["bash-fn", "1", "provided"], ["labelled", "7", "nodejs20"]],
      );
      assert.equal(byRole("stem").length, 1);
      assert.equal(byRole("stem")[0].Labels["hotswap.runtime"], "python3.11");
      assert.equal(byRole("loader").length, 1);
    } finally {
      await backend.close();
    }
  });

  test("at start-up, the containers and code volume a crashed runner with the same id left are removed; other runners' are not", async () => {
    const runnerId = testRunnerId("orphans");
    const other = await docker.createContainer({
      Image: `hotswap/runtime-provided:${IMAGE_TAG}`,
      Entrypoint: ["sleep", "300"],
      Labels: { "hotswap.managed": "true", "hotswap.runner": testRunnerId("bystander"), "hotswap.role": "instance", "hotswap.function": "", "hotswap.version": "" },
      HostConfig: { NetworkMode: "none" },
    });
    bystanders.push(other.id);
    await other.start();

    await crashARunner(runnerId);
    const orphans = await containersOf(runnerId);
    assert.equal(orphans.length, 3, "the crashed runner left its function container, its stem and its loader");
    assert.ok(orphans.some((c) => c.Labels["hotswap.function"] === "orphaned" && c.Labels["hotswap.version"] === "3"));
    assert.deepEqual(await volumesOf(runnerId), [codeVolumeName(runnerId)]);

    const successor = new DockerBackend({ runnerId, network: "host", imageTag: IMAGE_TAG, initTimeoutMs: 20_000 });
    try {
      await successor.open();
      const left = await containersOf(runnerId);
      const orphanIds = new Set(orphans.map((c) => c.Id));
      assert.deepEqual(left.filter((c) => orphanIds.has(c.Id)), [], "every orphan was removed");
      assert.deepEqual(left.map((c) => c.Labels["hotswap.role"]), ["loader"], "only the successor's own loader remains");
      assert.equal((await docker.getContainer(other.id).inspect()).State.Running, true, "another runner's container is untouched");
      const inst = await successor.start({ runtime: "nodejs20", protocol: "fast", memorySize: 128, spec: fixtureSpec("node-cjs", "nodejs20"), codeDir: fixtureDir("node-cjs") });
      const r = await inst.invoke({ requestId: "after-reap", payload: Buffer.from("{}"), deadlineMs: Date.now() + 3000 });
      assert.equal(r.kind, "success", "the successor serves on a fresh code volume");
    } finally {
      await successor.close();
    }
  });

  test("a graceful shutdown removes every container of the runner and its code volume", async () => {
    const backend = testBackend("shutdown");
    const { runnerId } = backend;
    const stem = await backend.start({ runtime: "nodejs20", protocol: "fast", memorySize: 128 });
    await stem.specialise(fixtureSpec("node-cjs", "nodejs20"), fixtureDir("node-cjs"));
    await backend.start({ runtime: "python3.12", protocol: "runtime-api", memorySize: 128, spec: fixtureSpec("python-echo", "python3.12", { protocol: "runtime-api" }), codeDir: fixtureDir("python-echo") });
    const busy = stem.invoke({ requestId: "in-flight", payload: Buffer.from("{}"), deadlineMs: Date.now() + 3000 });
    assert.equal((await containersOf(runnerId)).length, 3);
    assert.equal((await volumesOf(runnerId)).length, 1);
    await backend.close();
    await busy;
    assert.deepEqual(await containersOf(runnerId), []);
    assert.deepEqual(await volumesOf(runnerId), []);
    await backend.close();
  });
});
