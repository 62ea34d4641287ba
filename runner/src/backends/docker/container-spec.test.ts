/** The create-container request, without Docker: limits, entrypoints, environment from nothing, labels. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { fixtureSpec } from "../backend.contract.ts";
import { nodeHeapMb } from "../common/node-heap.ts";
import { cpuSharesFor, entrypointFor, instanceContainer, type InstanceContainerInput } from "./container-spec.ts";
import { dockerEndpoint, isUnreachable } from "./docker-connection.ts";

const isolation = { network: "bridge", extraHosts: [], pidsLimit: 512, tmpSizeMb: 512 };

function input(over: Partial<InstanceContainerInput> = {}): InstanceContainerInput {
  return {
    runnerId: "r1",
    instanceId: "ctr-1",
    name: "hotswap-r1-ctr-1",
    image: "hotswap/runtime-nodejs20:0.1.0",
    runtime: "nodejs20",
    memorySize: 256,
    spec: fixtureSpec("node-cjs", "nodejs20", { memorySize: 256, environment: { FOO: "bar", LAMBDA_TASK_ROOT: "/elsewhere" } }),
    codeSource: "/var/lib/docker/volumes/hotswap-code-r1/_data/v/abc",
    channel: { HOTSWAP_CHANNEL_TCP: "172.17.0.1:4000", HOTSWAP_CHANNEL_TOKEN: "t" },
    isolation,
    ...over,
  };
}

test("limits and lock-down: memory without swap, proportional CPU shares, pids, read-only root, sized /tmp, no privileges", () => {
  const c = instanceContainer(input());
  const hc = c.HostConfig!;
  assert.equal(hc.Memory, 256 * 1024 * 1024);
  assert.equal(hc.MemorySwap, hc.Memory);
  assert.equal(hc.CpuShares, cpuSharesFor(256));
  assert.equal(hc.PidsLimit, 512);
  assert.equal(hc.ReadonlyRootfs, true);
  assert.deepEqual(hc.Tmpfs, { "/tmp": "rw,nosuid,nodev,size=512m,mode=1777" });
  assert.deepEqual(hc.SecurityOpt, ["no-new-privileges"]);
  assert.deepEqual(hc.CapDrop, ["ALL"]);
  assert.deepEqual(hc.Binds, ["/var/lib/docker/volumes/hotswap-code-r1/_data/v/abc:/var/task:ro"]);
  assert.equal(c.User, "10001:10001");
  assert.equal(cpuSharesFor(64), 37);
  assert.equal(cpuSharesFor(1), 2, "never below Docker's minimum");
});

test("the environment is built from nothing; platform variables win over the function's", () => {
  process.env.HOTSWAP_SPEC_TEST_LEAK = "x";
  try {
    const env = instanceContainer(input()).Env!;
    assert.ok(env.includes("FOO=bar"));
    assert.ok(env.includes("LAMBDA_TASK_ROOT=/var/task"), "a function cannot move its task root");
    assert.ok(env.includes("HOTSWAP_CHANNEL_TCP=172.17.0.1:4000"));
    assert.ok(!env.some((e) => e.startsWith("HOTSWAP_SPEC_TEST_LEAK=")));
  } finally {
    delete process.env.HOTSWAP_SPEC_TEST_LEAK;
  }
});

test("entrypoints: node with a heap sized to memory, python without bytecode writes, provided runs the code's bootstrap", () => {
  assert.deepEqual(entrypointFor("nodejs22", 512), ["node", `--max-old-space-size=${nodeHeapMb(512)}`, "/opt/hotswap/bootstrap.mjs"]);
  assert.deepEqual(entrypointFor("python3.11", 128), ["python3", "-B", "/opt/hotswap/bootstrap.py"]);
  assert.deepEqual(entrypointFor("provided", 128), ["/var/task/bootstrap"]);
});

test("labels: function and version for a function container, role stem and empty function for a stem", () => {
  assert.deepEqual(instanceContainer(input()).Labels, {
    "hotswap.managed": "true",
    "hotswap.runner": "r1",
    "hotswap.role": "instance",
    "hotswap.function": "node-cjs",
    "hotswap.version": "1",
    "hotswap.runtime": "nodejs20",
    "hotswap.instance": "ctr-1",
  });
  const stem = instanceContainer(input({ spec: undefined }));
  assert.equal(stem.Labels!["hotswap.role"], "stem");
  assert.equal(stem.Labels!["hotswap.function"], "");
  assert.ok(!stem.Env!.some((e) => e.startsWith("FOO=")), "a stem has no function environment");
});

test("DOCKER_HOST: unix sockets, bare paths and tcp; anything else is refused with the accepted forms", () => {
  assert.deepEqual(dockerEndpoint(undefined), { options: { socketPath: "/var/run/docker.sock" }, describe: "unix:///var/run/docker.sock" });
  assert.deepEqual(dockerEndpoint("unix:///run/docker.sock").options, { socketPath: "/run/docker.sock" });
  assert.deepEqual(dockerEndpoint("/tmp/d.sock").options, { socketPath: "/tmp/d.sock" });
  assert.deepEqual(dockerEndpoint("tcp://10.0.0.5:2375"), { options: { host: "10.0.0.5", port: 2375, protocol: "http" }, describe: "tcp://10.0.0.5:2375" });
  assert.throws(() => dockerEndpoint("ssh://box"), /unix:\/\/\/path\/to\/docker\.sock or tcp:\/\/host:port/);
});

test("only connection failures count as Docker being unreachable, not errors the daemon answered", () => {
  assert.equal(isUnreachable(Object.assign(new Error("connect ENOENT /x.sock"), { code: "ENOENT" })), true);
  assert.equal(isUnreachable(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" })), true);
  assert.equal(isUnreachable(Object.assign(new Error("(HTTP code 404) no such image"), { statusCode: 404 })), false);
  assert.equal(isUnreachable(new Error("something else")), false);
});

test("layers: one read-only bind per top-level entry at /opt/<entry>, never over /opt/hotswap; the environment points at /opt", () => {
  const c = instanceContainer(input({ layers: { source: "/vol/v/layers", entries: ["bin", "hotswap", "nodejs", "python"] } }));
  assert.deepEqual(c.HostConfig!.Binds, [
    "/var/lib/docker/volumes/hotswap-code-r1/_data/v/abc:/var/task:ro",
    "/vol/v/layers/bin:/opt/bin:ro",
    "/vol/v/layers/nodejs:/opt/nodejs:ro",
    "/vol/v/layers/python:/opt/python:ro",
  ]);
  assert.ok(c.Env!.includes("HOTSWAP_LAYERS_DIR=/opt"));
  assert.ok(c.Env!.includes("NODE_PATH=/opt/nodejs/node20/node_modules:/opt/nodejs/node_modules"));
  const plain = instanceContainer(input());
  assert.deepEqual(plain.HostConfig!.Binds, ["/var/lib/docker/volumes/hotswap-code-r1/_data/v/abc:/var/task:ro"]);
  assert.ok(!plain.Env!.some((e) => e.startsWith("HOTSWAP_LAYERS_DIR=")));
});
