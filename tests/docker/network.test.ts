/**
 * The docker backend on a bridge network instead of host networking: the runner's listeners bind
 * the network's gateway, which containers use to reach the fast channel and the Runtime API. The
 * test makes its own internal network (no route out), so nothing listens beyond what it created.
 * Another container on the network can reach those listeners, but not use them: an instance's
 * Runtime API answers only its own container (the fast channel needs the instance's one-time
 * token, see channel-listener.test.ts).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import type { Instance } from "../../runner/src/backends/backend.ts";
import { fixtureDir, fixtureSpec } from "../../runner/src/backends/backend.contract.ts";
import type { DockerBackend, DockerInstance } from "../../runner/src/backends/docker/index.ts";
import { gatewayAddress, type NetworkInfo } from "../../runner/src/backends/docker/networking.ts";
import { docker, dockerSkipReason, IMAGE_TAG, testBackend } from "./support.ts";

const skip = await dockerSkipReason();

describe("docker backend on a bridge network", { skip }, () => {
  const name = `hs-test-net-${randomBytes(4).toString("hex")}`;
  let gateway: string;
  let backend: DockerBackend;
  const started: Instance[] = [];

  before(async () => {
    await docker.createNetwork({ Name: name, Driver: "bridge", Internal: true, Labels: { "hotswap.test": "network" } });
    const info = (await docker.getNetwork(name).inspect()) as { IPAM: { Config: Array<{ Gateway: string }> } };
    gateway = info.IPAM.Config[0].Gateway;
    backend = testBackend("bridge", { network: name });
  });
  after(async () => {
    for (const i of started) i.kill("killed");
    await backend?.close();
    await docker.getNetwork(name).remove().catch(() => {});
  });

  async function ok(inst: Instance, event: object): Promise<any> {
    const r = await inst.invoke({ requestId: `net-${Date.now()}`, payload: Buffer.from(JSON.stringify(event)), deadlineMs: Date.now() + 5000 });
    assert.equal(r.kind, "success", JSON.stringify(r.kind === "platform-error" ? r : r.payload.toString()));
    return JSON.parse((r as { payload: Buffer }).payload.toString());
  }

  test("fast channel, Runtime API and stems work through the network's gateway", async () => {
    const node = (await backend.start({ runtime: "nodejs20", protocol: "fast", memorySize: 128, spec: fixtureSpec("node-cjs", "nodejs20"), codeDir: fixtureDir("node-cjs") })) as DockerInstance;
    started.push(node);
    assert.deepEqual((await ok(node, { via: "bridge" })).echo, { via: "bridge" });
    const info = await docker.getContainer(node.container.id).inspect();
    assert.equal(info.HostConfig.NetworkMode, name);
    const tcp = info.Config.Env.find((e) => e.startsWith("HOTSWAP_CHANNEL_TCP="));
    assert.equal(tcp?.split("=")[1].split(":")[0], gateway, "containers dial the gateway");

    const py = (await backend.start({
      runtime: "python3.12",
      protocol: "runtime-api",
      memorySize: 128,
      spec: fixtureSpec("python-echo", "python3.12", { protocol: "runtime-api" }),
      codeDir: fixtureDir("python-echo"),
    })) as DockerInstance;
    started.push(py);
    assert.deepEqual((await ok(py, { api: true })).echo, { api: true });
    const api = (await docker.getContainer(py.container.id).inspect()).Config.Env.find((e) => e.startsWith("AWS_LAMBDA_RUNTIME_API="));
    assert.match(api ?? "", new RegExp(`^AWS_LAMBDA_RUNTIME_API=${gateway.replace(/\./g, "\\.")}:\\d+$`));

    const stem = await backend.start({ runtime: "nodejs20", protocol: "fast", memorySize: 128 });
    started.push(stem);
    await stem.specialise(fixtureSpec("node-cjs", "nodejs20"), fixtureDir("node-cjs"));
    assert.deepEqual((await ok(stem, { stem: 1 })).echo, { stem: 1 });
  });

  test("another container on the network gets 403 from an instance's Runtime API; the instance keeps its invocations", async () => {
    const py = (await backend.start({
      runtime: "python3.11",
      protocol: "runtime-api",
      memorySize: 128,
      spec: fixtureSpec("python-echo", "python3.11", { protocol: "runtime-api" }),
      codeDir: fixtureDir("python-echo"),
    })) as DockerInstance;
    started.push(py);
    const env = (await docker.getContainer(py.container.id).inspect()).Config.Env;
    const api = env.find((e) => e.startsWith("AWS_LAMBDA_RUNTIME_API="))!.split("=")[1];
    const intruder = await docker.createContainer({
      Image: `hotswap/runtime-provided:${IMAGE_TAG}`,
      Entrypoint: ["bash", "-c", `curl -s -o /dev/null -w 'api=%{http_code}\\n' --max-time 5 http://${api}/2018-06-01/runtime/invocation/next`],
      Labels: { "hotswap.test": "intruder" },
      HostConfig: { NetworkMode: name, AutoRemove: false },
    });
    try {
      const stream = await intruder.attach({ stream: true, stdout: true, stderr: true });
      let out = "";
      stream.on("data", (c: Buffer) => (out += c.toString("latin1")));
      await intruder.start();
      await intruder.wait();
      assert.match(out, /api=403/, out);
    } finally {
      await intruder.remove({ force: true });
    }
    assert.deepEqual((await ok(py, { still: "mine" })).echo, { still: "mine" }, "the instance's own runtime still gets its invocations");
  });
});

describe("docker backend on Docker's default bridge network", { skip }, () => {
  let backend: DockerBackend;
  let bridgeAddress: string | undefined;
  const started: Instance[] = [];

  before(async () => {
    const info = (await docker.getNetwork("bridge").inspect()) as NetworkInfo;
    bridgeAddress = gatewayAddress(info);
    // No network option at all: the engine's default `bridge`, as a fresh install has it.
    backend = testBackend("default-bridge", { network: undefined });
  });
  after(async () => {
    for (const i of started) i.kill("killed");
    await backend?.close();
  });

  test("containers reach the runner at the bridge's address even when the network lists no gateway", async () => {
    const info = (await docker.getNetwork("bridge").inspect()) as NetworkInfo & { IPAM: { Config: Array<{ Gateway?: string }> } };
    const ifName = info.Options?.["com.docker.network.bridge.name"] ?? "docker0";
    // From `ip`, not os.networkInterfaces(): libuv lists no address for a bridge without carrier
    // (docker0 before any container runs), which is when the runner has to find it.
    const hostSide = /inet (\d+\.\d+\.\d+\.\d+)\//.exec(execFileSync("ip", ["-4", "-o", "addr", "show", "dev", ifName]).toString())?.[1];
    assert.ok(bridgeAddress, "an address is found for the default bridge");
    if (!info.IPAM.Config.some((c) => c.Gateway)) assert.equal(bridgeAddress, hostSide, `the ${ifName} interface's address when IPAM lists no gateway`);

    const node = (await backend.start({ runtime: "nodejs20", protocol: "fast", memorySize: 128, spec: fixtureSpec("node-cjs", "nodejs20"), codeDir: fixtureDir("node-cjs") })) as DockerInstance;
    started.push(node);
    const r = await node.invoke({ requestId: `bridge-${Date.now()}`, payload: Buffer.from('{"via":"default-bridge"}'), deadlineMs: Date.now() + 5000 });
    assert.equal(r.kind, "success", JSON.stringify(r));
    assert.deepEqual(JSON.parse((r as { payload: Buffer }).payload.toString()).echo, { via: "default-bridge" });
    const env = (await docker.getContainer(node.container.id).inspect()).Config.Env;
    assert.equal(env.find((e) => e.startsWith("HOTSWAP_CHANNEL_TCP="))?.split("=")[1].split(":")[0], bridgeAddress);
    assert.equal((await docker.getContainer(node.container.id).inspect()).HostConfig.NetworkMode, "bridge");

    const provided = (await backend.start({
      runtime: "provided",
      protocol: "runtime-api",
      memorySize: 128,
      spec: fixtureSpec("provided-bash", "provided", { protocol: "runtime-api", handler: "function.handler" }),
      codeDir: fixtureDir("provided-bash"),
    })) as DockerInstance;
    started.push(provided);
    const p = await provided.invoke({ requestId: `bridge-api-${Date.now()}`, payload: Buffer.from('{"from":"bash"}'), deadlineMs: Date.now() + 10_000 });
    assert.equal(p.kind, "success", JSON.stringify(p));
    assert.deepEqual(JSON.parse((p as { payload: Buffer }).payload.toString()).echo, { from: "bash" });
  });
});
