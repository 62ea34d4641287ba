/**
 * The seeds' own Quick Start, as a new user pastes it: plain JSON requests with the seeds' runtime
 * names (`Node20`), a version published as JSON with base64 code and its own environment, and a
 * deployment of `"version": "v2"`. Also: a runtime the platform does not have is refused with the
 * supported list and the nearest match.
 */
import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import { startPlatform, type TestPlatform } from "../support/platform.ts";
import { waitFor } from "../support/wait-for.ts";
import { zipFiles } from "../support/zip.ts";

let p: TestPlatform;
before(async () => {
  p = await startPlatform("embedded");
});
after(async () => {
  await p?.close();
});

const code = (greeting: string) =>
  Buffer.from(
    zipFiles({
      "index.js": `exports.handler = async (event) => ({ message: "${greeting}, " + (event.name || "world"), stage: process.env.STAGE, region: process.env.REGION });`,
      "package.json": '{"type":"commonjs"}',
    }),
  ).toString("base64");

it("runs the seeds' Quick Start as written: Node20, JSON versions with base64 code and an environment, deploy v2", async () => {
  const created = await p.api("POST", "/api/v1/functions", { name: "hello-world", runtime: "Node20", handler: "index.handler", memorySize: 128, timeout: 30, environment: { REGION: "eu" } });
  assert.equal(created.status, 201, created.text);
  assert.equal(created.json.runtime, "nodejs20", "stored under HotSwap's own id");

  const v1 = await p.api("POST", "/api/v1/functions/hello-world/versions", { code: code("Hello"), environment: { STAGE: "one" } });
  assert.equal(v1.status, 201, v1.text);
  const v2 = await p.api("POST", "/api/v1/functions/hello-world/versions", { code: code("Bonjour"), environment: { STAGE: "two" } });
  assert.equal(v2.status, 201, v2.text);
  assert.equal(v2.json.version, 2);
  const snapshot = await p.api("GET", "/api/v1/functions/hello-world/versions/2");
  assert.deepEqual(snapshot.json.environment, { REGION: "eu", STAGE: "two" }, "the version's environment over the function's");
  const fn = await p.api("GET", "/api/v1/functions/hello-world");
  assert.deepEqual(fn.json.environment, { REGION: "eu" }, "the function's own environment is unchanged");

  assert.equal((await p.api("PUT", "/api/v1/functions/hello-world/aliases/live", { version: 1 })).status, 201);
  const deployment = await p.api("POST", "/api/v1/deployments", { functionName: "hello-world", version: "v2", alias: "live", strategy: "Direct" });
  assert.equal(deployment.status, 201, deployment.text);
  assert.equal(deployment.json.toVersion, 2);
  await waitFor("the deployment of v2 to succeed", async () => (await p.api("GET", `/api/v1/deployments/${deployment.json.deploymentId}`)).json.status, {
    until: (status) => status === "Succeeded",
    timeoutMs: 30_000,
  });

  const out = await p.api("POST", "/api/v1/functions/hello-world/invoke", { name: "HotSwap" });
  assert.equal(out.status, 200, out.text);
  assert.deepEqual(out.json, { message: "Bonjour, HotSwap", stage: "two", region: "eu" });
});

it("accepts the seeds' and Lambda's runtime names; refuses one it does not have with the list and the nearest match", async () => {
  for (const [given, stored] of [["Python311", "python3.11"], ["python3.12", "python3.12"], ["nodejs20.x", "nodejs20"], ["provided.al2023", "provided"], ["Ruby31", "ruby3.1"]] as const) {
    const r = await p.api("POST", "/api/v1/functions", { name: `rt-${stored.replace(/\./g, "")}-${given.length}`, runtime: given, handler: "handler.handler", ...(stored === "provided" ? { protocol: "runtime-api" } : {}) });
    assert.equal(r.status, 201, `${given}: ${r.text}`);
    assert.equal(r.json.runtime, stored, given);
  }
  const old = await p.api("POST", "/api/v1/functions", { name: "too-old", runtime: "Python39", handler: "handler.handler" });
  assert.equal(old.status, 400);
  assert.equal(old.json.error.code, "UnknownRuntime");
  assert.match(old.json.error.message, /Runtime "Python39" is not supported\. Valid runtimes: nodejs20, nodejs22, python3\.11, python3\.12, java17, ruby3\.1, provided; the nearest is "python3\.1[12]"\./);
  assert.ok(old.json.error.validRuntimes.includes("python3.11"));
  assert.match(old.json.error.nearest, /^python3\.1[12]$/);
  const bad = await p.api("POST", "/api/v1/deployments", { functionName: "hello-world", version: "version two", strategy: "Direct" });
  assert.equal(bad.status, 400, "a version that is neither N nor vN is refused");
});
