/** The instance environment is built from nothing, and platform variables cannot be overridden. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { buildChildEnv } from "./child-env.ts";
import { fixtureSpec } from "../backend.contract.ts";

test("contains the base, the Lambda variables, the function's variables and the channel, nothing else", () => {
  process.env.HOTSWAP_TEST_LEAK = "secret";
  try {
    const env = buildChildEnv({
      interpreterDir: "/opt/node/bin",
      memorySize: 256,
      spec: fixtureSpec("f", "nodejs20", { memorySize: 256, environment: { FOO: "bar" }, instanceConcurrency: 4 }),
      codeDir: "/code",
      channel: { HOTSWAP_CHANNEL_FD: "3" },
    });
    assert.equal(env.HOTSWAP_TEST_LEAK, undefined);
    assert.ok(env.PATH.startsWith("/opt/node/bin:"));
    assert.equal(env.FOO, "bar");
    assert.equal(env.LAMBDA_TASK_ROOT, "/code");
    assert.equal(env._HANDLER, "index.handler");
    assert.equal(env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE, "256");
    assert.equal(env.HOTSWAP_CONCURRENCY, "4");
    assert.equal(env.HOTSWAP_CHANNEL_FD, "3");
  } finally {
    delete process.env.HOTSWAP_TEST_LEAK;
  }
});

test("a function's environment cannot override the platform's variables", () => {
  const env = buildChildEnv({
    memorySize: 128,
    spec: fixtureSpec("f", "nodejs20", { environment: { _HANDLER: "evil.x", AWS_LAMBDA_RUNTIME_API: "1.2.3.4:1", LAMBDA_TASK_ROOT: "/" } }),
    codeDir: "/code",
    channel: { AWS_LAMBDA_RUNTIME_API: "127.0.0.1:9001" },
  });
  assert.equal(env._HANDLER, "index.handler");
  assert.equal(env.AWS_LAMBDA_RUNTIME_API, "127.0.0.1:9001");
  assert.equal(env.LAMBDA_TASK_ROOT, "/code");
});

test("a stem gets only the base and its channel", () => {
  const env = buildChildEnv({ memorySize: 128, channel: { HOTSWAP_CHANNEL_FD: "3" } });
  assert.deepEqual(Object.keys(env).sort(), ["AWS_DEFAULT_REGION", "AWS_REGION", "HOME", "HOTSWAP_CHANNEL_FD", "LANG", "PATH", "TZ"]);
});

test("layers: Lambda's search paths into the layers dir, /opt/bin last on PATH; the function's own environment may override them", () => {
  const node = buildChildEnv({ memorySize: 256, spec: fixtureSpec("f", "nodejs20", { memorySize: 256 }), codeDir: "/code", layersDir: "/opt", channel: {} });
  assert.equal(node.HOTSWAP_LAYERS_DIR, "/opt");
  assert.equal(node.NODE_PATH, "/opt/nodejs/node20/node_modules:/opt/nodejs/node_modules");
  assert.ok(node.PATH.endsWith(":/opt/bin"), node.PATH);
  assert.equal(node.LD_LIBRARY_PATH, "/opt/lib");
  assert.equal(node.PYTHONPATH, undefined);
  const py = buildChildEnv({ memorySize: 256, spec: fixtureSpec("f", "python3.12", { memorySize: 256, environment: { LD_LIBRARY_PATH: "/mine" } }), codeDir: "/code", layersDir: "/l", channel: {} });
  assert.equal(py.PYTHONPATH, "/l/python/lib/python3.12/site-packages:/l/python");
  assert.equal(py.NODE_PATH, undefined);
  assert.equal(py.LD_LIBRARY_PATH, "/mine", "not reserved, as on Lambda");
  const none = buildChildEnv({ memorySize: 256, spec: fixtureSpec("f", "nodejs20", { memorySize: 256 }), codeDir: "/code", channel: {} });
  assert.equal(none.HOTSWAP_LAYERS_DIR, undefined);
  assert.equal(none.NODE_PATH, undefined);
  const spoof = buildChildEnv({ memorySize: 256, spec: fixtureSpec("f", "nodejs20", { memorySize: 256, environment: { HOTSWAP_LAYERS_DIR: "/evil" } }), codeDir: "/code", layersDir: "/opt", channel: {} });
  assert.equal(spoof.HOTSWAP_LAYERS_DIR, "/opt", "reserved");
});
