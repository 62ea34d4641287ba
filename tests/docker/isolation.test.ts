/**
 * Limits and isolation of function containers, each asserted twice: on what `docker inspect`
 * reports, and on what the function itself sees from inside (tests/docker/fixtures/probe).
 * Fresh containers and specialised stems alike: memory = memorySize with swap off, CPU shares
 * proportional to memory, a pids limit, a read-only root with a size-limited /tmp, no new
 * privileges, no capabilities, a non-root user, only the function's own code read-only at
 * /var/task, and only the function's environment.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import type Docker from "dockerode";
import type { Instance } from "../../runner/src/backends/backend.ts";
import { fixtureDir, fixtureSpec } from "../../runner/src/backends/backend.contract.ts";
import { cpuSharesFor } from "../../runner/src/backends/docker/container-spec.ts";
import type { DockerBackend, DockerInstance } from "../../runner/src/backends/docker/index.ts";
import { docker, dockerSkipReason, IMAGE_TAG, testBackend } from "./support.ts";

const PROBE = fileURLToPath(new URL("./fixtures/probe/", import.meta.url));
const MiB = 1024 * 1024;
const HOST_SECRET = "HOTSWAP_ISOLATION_TEST_SECRET";
/** Variables the platform itself sets in a function container (besides the image's and the function's). */
const PLATFORM_VARS = new Set([
  "PATH", "LANG", "TZ", "HOME", "AWS_REGION", "AWS_DEFAULT_REGION", "LAMBDA_TASK_ROOT", "_HANDLER",
  "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
  "HOTSWAP_CONCURRENCY", "AWS_LAMBDA_MAX_CONCURRENCY", "HOTSWAP_CHANNEL_TCP", "HOTSWAP_CHANNEL_TOKEN", "AWS_LAMBDA_RUNTIME_API",
  // Lambda's descriptive variables (runner/src/backends/common/child-env.ts instanceFacts).
  "AWS_EXECUTION_ENV", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_LAMBDA_INITIALIZATION_TYPE", "LAMBDA_RUNTIME_DIR",
]);

const skip = await dockerSkipReason();

async function probe(inst: Instance, event: object = {}): Promise<any> {
  const r = await inst.invoke({ requestId: `probe-${Date.now()}`, payload: Buffer.from(JSON.stringify(event)), deadlineMs: Date.now() + 5000 });
  assert.equal(r.kind, "success", JSON.stringify(r.kind === "platform-error" ? r : r.payload.toString()));
  return JSON.parse((r as { payload: Buffer }).payload.toString());
}

function envOf(info: Docker.ContainerInspectInfo): Map<string, string> {
  return new Map(info.Config.Env.map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
}

describe("docker isolation", { skip }, () => {
  let backend: DockerBackend;
  const started: Instance[] = [];
  let imageEnv: Set<string>;

  before(async () => {
    process.env[HOST_SECRET] = "must-not-leak";
    backend = testBackend("isolation", { pidsLimit: 300 });
    const image = await docker.getImage(`hotswap/runtime-nodejs20:${IMAGE_TAG}`).inspect();
    imageEnv = new Set((image.Config.Env ?? []).map((e) => e.slice(0, e.indexOf("="))));
  });
  after(async () => {
    delete process.env[HOST_SECRET];
    for (const i of started) i.kill("killed");
    await backend?.close();
  });

  async function fresh(memorySize: number, environment: Record<string, string> = { FOO: "bar" }): Promise<DockerInstance> {
    const spec = fixtureSpec("probe", "nodejs20", { memorySize, environment });
    const inst = (await backend.start({ runtime: "nodejs20", protocol: "fast", memorySize, spec, codeDir: PROBE })) as DockerInstance;
    started.push(inst);
    return inst;
  }

  async function inspect(inst: DockerInstance): Promise<Docker.ContainerInspectInfo> {
    return docker.getContainer(inst.container.id).inspect();
  }

  test("memory is memorySize with swap off, and CPU shares are proportional to memory", async () => {
    const small = await inspect(await fresh(128));
    const big = await inspect(await fresh(512));
    assert.equal(small.HostConfig.Memory, 128 * MiB);
    assert.equal(small.HostConfig.MemorySwap, 128 * MiB, "MemorySwap = Memory: no swap");
    assert.equal(big.HostConfig.Memory, 512 * MiB);
    assert.equal(big.HostConfig.MemorySwap, 512 * MiB);
    assert.equal(small.HostConfig.CpuShares, cpuSharesFor(128));
    assert.equal(big.HostConfig.CpuShares, cpuSharesFor(512));
    assert.ok(Math.abs(big.HostConfig.CpuShares! / small.HostConfig.CpuShares! - 4) < 0.05, "4× the memory, 4× the shares");
    assert.equal(cpuSharesFor(1769), 1024, "1769 MB is one full CPU's worth, as in Lambda");
  });

  test("a pids limit, a read-only root, /tmp a 512 MB tmpfs, no new privileges, no capabilities, a non-root user", async () => {
    const inst = await fresh(256);
    const info = await inspect(inst);
    const hc = info.HostConfig;
    assert.equal(hc.PidsLimit, 300);
    assert.equal(hc.ReadonlyRootfs, true);
    assert.match(hc.Tmpfs?.["/tmp"] ?? "", /(^|,)size=512m(,|$)/);
    assert.ok(hc.SecurityOpt?.includes("no-new-privileges"), JSON.stringify(hc.SecurityOpt));
    assert.deepEqual(hc.CapDrop, ["ALL"]);
    assert.ok(!hc.CapAdd || hc.CapAdd.length === 0);
    assert.equal(hc.Privileged, false);
    assert.equal(info.Config.User, "10001:10001");

    const seen = await probe(inst);
    assert.equal(seen.uid, 10001);
    assert.equal(seen.gid, 10001);
    assert.equal(seen.writable.root, "EROFS", "the root filesystem is read-only");
    assert.equal(seen.writable.task, "EROFS", "the code is read-only");
    assert.equal(seen.writable.tmp, true, "/tmp is writable");
    assert.equal(seen.tmpBytes, 512 * MiB);
    assert.equal(seen.capEff, "0000000000000000", "no effective capabilities");
    assert.equal(seen.noNewPrivs, "1");
    assert.equal(Number(seen.memoryLimit), 256 * MiB, "the cgroup limit the function runs under");
  });

  test("the only mount is the function's own code, read-only at /var/task, which is LAMBDA_TASK_ROOT and the cwd", async () => {
    const inst = await fresh(256);
    const info = await inspect(inst);
    assert.equal(info.Mounts.length, 1, JSON.stringify(info.Mounts));
    const [m] = info.Mounts;
    assert.equal(m.Destination, "/var/task");
    assert.equal(m.RW, false);
    const seen = await probe(inst);
    assert.deepEqual(seen.files, ["index.js", "package.json"], "nothing but this function's code");
    assert.equal(seen.taskRoot, "/var/task");
    assert.equal(seen.cwd, "/var/task");
    assert.equal(seen.dirname, "/var/task");
    assert.equal(seen.taskMounts, 1);
  });

  test("the environment is the function's and the platform's only: no runner variable, no channel token for the code", async () => {
    const inst = await fresh(256, { FOO: "bar", GREETING: "hello world" });
    const env = envOf(await inspect(inst));
    assert.equal(env.get("FOO"), "bar");
    assert.equal(env.get("GREETING"), "hello world");
    assert.equal(env.get(HOST_SECRET), undefined, "a runner variable reached the container");
    for (const k of env.keys()) {
      assert.ok(PLATFORM_VARS.has(k) || imageEnv.has(k) || k === "FOO" || k === "GREETING", `unexpected variable ${k}`);
    }
    assert.equal(env.get("AWS_EXECUTION_ENV"), "AWS_Lambda_nodejs20.x");
    assert.equal(env.get("LAMBDA_RUNTIME_DIR"), "/opt/hotswap");
    const seen = (await probe(inst)).env;
    assert.equal(seen.FOO, "bar");
    assert.equal(seen[HOST_SECRET], undefined);
    assert.equal(seen.HOTSWAP_CHANNEL_TOKEN, undefined, "the bootstrap keeps the channel token from the function");
    assert.equal(seen.HOTSWAP_CHANNEL_TCP, undefined);
    assert.equal(seen.AWS_LAMBDA_FUNCTION_MEMORY_SIZE, "256");
  });

  test("a specialised stem has the same limits and sees only its function's code at /var/task", async () => {
    const stem = (await backend.start({ runtime: "nodejs20", protocol: "fast", memorySize: 256 })) as DockerInstance;
    started.push(stem);
    const before = await inspect(stem);
    assert.equal(before.Config.Labels["hotswap.role"], "stem");
    assert.equal(before.HostConfig.Memory, 256 * MiB);
    assert.equal(before.HostConfig.ReadonlyRootfs, true);
    assert.deepEqual(before.HostConfig.CapDrop, ["ALL"]);
    assert.equal(before.Mounts.length, 1);
    assert.equal(before.Mounts[0].Destination, "/var/task");
    assert.equal(before.Mounts[0].RW, false);
    assert.equal(envOf(before).get("FOO"), undefined, "a stem starts with no function environment");

    await stem.specialise(fixtureSpec("probe", "nodejs20", { memorySize: 256, environment: { FOO: "stem" } }), PROBE);
    const seen = await probe(stem);
    assert.deepEqual(seen.files, ["index.js", "package.json"]);
    assert.equal(seen.taskRoot, "/var/task");
    assert.equal(seen.cwd, "/var/task");
    assert.equal(seen.writable.task, "EROFS");
    assert.equal(seen.env.FOO, "stem");
    assert.equal(seen.uid, 10001);
    assert.equal(seen.capEff, "0000000000000000");
  });

  test("python and provided containers get the same treatment", async () => {
    const py = await backend.start({
      runtime: "python3.12",
      protocol: "fast",
      memorySize: 128,
      spec: fixtureSpec("python-env", "python3.12", { environment: { FOO: "py" } }),
      codeDir: fixtureDir("python-env"),
    });
    started.push(py);
    const pyEnv = await probe(py);
    assert.equal(pyEnv.FOO, "py");
    assert.equal(pyEnv[HOST_SECRET], undefined);
    assert.equal(pyEnv.LAMBDA_TASK_ROOT, "/var/task");
    const provided = (await backend.start({
      runtime: "provided",
      protocol: "runtime-api",
      memorySize: 128,
      spec: fixtureSpec("provided-bash", "provided"),
      codeDir: fixtureDir("provided-bash"),
    })) as DockerInstance;
    started.push(provided);
    for (const inst of [py as DockerInstance, provided]) {
      const info = await inspect(inst);
      assert.equal(info.HostConfig.Memory, 128 * MiB);
      assert.equal(info.HostConfig.MemorySwap, 128 * MiB);
      assert.equal(info.HostConfig.ReadonlyRootfs, true);
      assert.deepEqual(info.HostConfig.CapDrop, ["ALL"]);
      assert.ok(info.HostConfig.SecurityOpt?.includes("no-new-privileges"));
      assert.equal(info.Config.User, "10001:10001");
      assert.equal(envOf(info).get(HOST_SECRET), undefined);
    }
    assert.match(envOf(await inspect(provided)).get("AWS_LAMBDA_RUNTIME_API") ?? "", /^127\.0\.0\.1:\d+$/);
  });
});
