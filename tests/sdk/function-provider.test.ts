/**
 * The Function provider's methods, called directly against a real control plane started by the test
 * (embedded adapters): create, no-op diff, new versions for code and configuration changes, capacity
 * settings updated in place (no version), rename, drift through read, delete, and the refusals.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { startPlatform, type TestPlatform } from "../support/platform.ts";
import { functionProvider as provider } from "../../infra/sdk/function-provider.ts";
import type { FunctionOutputs } from "../../infra/sdk/function-inputs.ts";
import { FIXTURES, captureLogs, codeDir, functionInputs, nodeHandler, removeCodeDirs } from "./support/sdk.ts";

describe("hotswap.Function provider against an embedded control plane", () => {
  let p: TestPlatform;
  before(async () => {
    p = await startPlatform("embedded");
  });
  after(async () => {
    await p?.close();
    await removeCodeDirs();
  });

  const invoke = async (name: string) => {
    const res = await p.api("POST", `/api/v1/functions/${name}/invoke`, { hi: 1 });
    assert.equal(res.status, 200, res.text);
    return res.json;
  };

  test("create publishes version 1 with the package's sha256, and the function runs", async () => {
    const inputs = await functionInputs(p, "created", await codeDir(nodeHandler("v1")), { memory: "512 MB", environment: { GREETING: "hi" } });
    const { id, outs } = await provider.create(inputs);
    assert.equal(id, "created");
    assert.equal(outs.latestVersion, 1);
    assert.equal(outs.codeSha256, inputs.codeSha256);
    assert.equal(outs.arn, "arn:aws:lambda:us-east-1:000000000000:function:created");
    const live = await p.api("GET", "/api/v1/functions/created");
    assert.equal(live.json.memorySize, 512);
    assert.deepEqual(live.json.environment, { GREETING: "hi" });
    const v1 = await p.api("GET", "/api/v1/functions/created/versions/1");
    assert.equal(v1.json.codeSha256, inputs.codeSha256);
    assert.deepEqual(await invoke("created"), { marker: "v1", echo: { hi: 1 }, memory: "512" });
  });

  test("secrets reach the function, the API shows ***, read keeps the stack's values, and a changed secret publishes a new version", async () => {
    const code = await codeDir({ "index.js": "exports.handler = async () => ({ pw: process.env.DB_PASSWORD });", "package.json": '{"type":"commonjs"}' });
    const inputs = await functionInputs(p, "secretive", code, { secrets: { DB_PASSWORD: "first-pw" } });
    const { outs } = await provider.create(inputs);
    assert.deepEqual(await invoke("secretive"), { pw: "first-pw" });
    assert.deepEqual((await p.api("GET", "/api/v1/functions/secretive")).json.secrets, { DB_PASSWORD: "***" });
    const read = await provider.read!("secretive", outs);
    assert.deepEqual(read.props.secrets, { DB_PASSWORD: "first-pw" }, "the masked answer does not overwrite the stack's value");
    const same = await functionInputs(p, "secretive", code, { secrets: { DB_PASSWORD: "first-pw" } });
    assert.equal((await provider.diff!("secretive", outs, same)).changes, false);
    const changed = await functionInputs(p, "secretive", code, { secrets: { DB_PASSWORD: "second-pw" } });
    assert.equal((await provider.diff!("secretive", outs, changed)).changes, true);
    const updated = await provider.update!("secretive", outs, changed);
    assert.equal(updated.outs.latestVersion, 2);
    assert.deepEqual(await invoke("secretive"), { pw: "second-pw" });
    const { failures } = (await import("../../infra/sdk/function-inputs.ts")).checkFunctionInputs({ ...changed, environment: { DB_PASSWORD: "x" } });
    assert.match(failures.map((f) => f.reason).join("; "), /"DB_PASSWORD" is in both environment and secrets/);
  });

  test("an unchanged stack diffs as no change, even from a fresh checkout of the same files", async () => {
    const files = nodeHandler("same");
    const inputs = await functionInputs(p, "unchanged", await codeDir(files));
    const { outs } = await provider.create(inputs);
    const again = await functionInputs(p, "unchanged", await codeDir(files));
    assert.deepEqual(await provider.diff!("unchanged", outs, again), { changes: false, replaces: [], deleteBeforeReplace: false });
  });

  test("a code change is an update, not a replace, and publishes version 2", async () => {
    const v1 = await functionInputs(p, "coded", await codeDir(nodeHandler("v1")));
    const { outs } = await provider.create(v1);
    const v2 = await functionInputs(p, "coded", await codeDir(nodeHandler("v2")));
    assert.notEqual(v2.codeSha256, v1.codeSha256);
    assert.deepEqual(await provider.diff!("coded", outs, v2), { changes: true, replaces: [], deleteBeforeReplace: false });
    const updated = await provider.update!("coded", outs, v2);
    assert.equal(updated.outs.latestVersion, 2);
    assert.equal(updated.outs.codeSha256, v2.codeSha256);
    assert.equal((await p.api("GET", "/api/v1/functions/coded/versions/2")).json.codeSha256, v2.codeSha256);
    // Version 1 is immutable and still runs the old code.
    const old = await p.api("POST", "/api/v1/functions/coded/invoke?qualifier=1", {});
    assert.equal(old.json.marker, "v1");
    assert.equal((await invoke("coded")).marker, "v2");
  });

  test("a configuration change updates the function, then publishes a version with the new settings", async () => {
    const dir = await codeDir(nodeHandler("cfg"));
    const v1 = await functionInputs(p, "configured", dir);
    const { outs } = await provider.create(v1);
    const v2 = await functionInputs(p, "configured", dir, { memory: "1 GB", timeout: "1 minute" });
    const logged = await captureLogs(() => provider.update!("configured", outs, v2));
    assert.ifError(logged.error);
    assert.equal(logged.result!.outs.latestVersion, 2);
    assert.ok(logged.lines.some((l) => /published version 2 \(memorySize, timeoutSeconds changed\)/.test(l)), logged.lines.join("\n"));
    const version = (await p.api("GET", "/api/v1/functions/configured/versions/2")).json;
    assert.equal(version.memorySize, 1024);
    assert.equal(version.timeout, 60);
    assert.equal((await p.api("GET", "/api/v1/functions/configured/versions/1")).json.memorySize, 256);
  });

  test("renaming a function is a replace: the new name is created and the old one deleted", async () => {
    const dir = await codeDir(nodeHandler("rename"));
    const old = await functionInputs(p, "before-rename", dir);
    const { outs } = await provider.create(old);
    const renamed = await functionInputs(p, "after-rename", dir);
    assert.deepEqual(await provider.diff!("before-rename", outs, renamed), { changes: true, replaces: ["name"], deleteBeforeReplace: false });
    // Pulumi creates the replacement first, then deletes the old resource.
    await provider.create(renamed);
    await provider.delete!("before-rename", outs);
    assert.equal((await p.api("GET", "/api/v1/functions/after-rename")).status, 200);
    assert.equal((await p.api("GET", "/api/v1/functions/before-rename")).status, 404);
  });

  test("read detects drift made outside the stack, and the next diff restores the declared configuration", async () => {
    const dir = await codeDir(nodeHandler("drift"));
    const inputs = await functionInputs(p, "drifting", dir);
    const { outs } = await provider.create(inputs);
    const changed = await p.api("PUT", "/api/v1/functions/drifting", { memorySize: 768, environment: { ADDED: "by hand" } });
    assert.equal(changed.status, 200, changed.text);
    const read = await provider.read!("drifting", outs);
    assert.equal(read.id, "drifting");
    assert.equal(read.props.memorySize, 768);
    assert.equal(read.props.memory, "768 MB");
    assert.deepEqual(read.props.environment, { ADDED: "by hand" });
    const diff = await provider.diff!("drifting", read.props, inputs);
    assert.deepEqual(diff, { changes: true, replaces: [], deleteBeforeReplace: false });
    const restored = await provider.update!("drifting", read.props as FunctionOutputs, inputs);
    assert.equal(restored.outs.latestVersion, 2);
    assert.equal((await p.api("GET", "/api/v1/functions/drifting")).json.memorySize, 256);
  });

  test("read of a function deleted outside the stack reports it gone", async () => {
    const inputs = await functionInputs(p, "vanishing", await codeDir(nodeHandler("gone")));
    const { outs } = await provider.create(inputs);
    assert.equal((await p.api("DELETE", "/api/v1/functions/vanishing")).status, 204);
    assert.deepEqual(await provider.read!("vanishing", outs), { id: "", props: {} });
    await assert.rejects(provider.update!("vanishing", outs, { ...inputs, memorySize: 512, memory: "512 MB" }), /Function "vanishing" no longer exists on http:\/\/127\.0\.0\.1:\d+: it was deleted outside this stack\. Run `pulumi refresh`/);
  });

  test("create refuses to adopt a function the stack did not create, and leaves it untouched", async () => {
    assert.equal((await p.api("POST", "/api/v1/functions", { name: "foreign", runtime: "nodejs20", handler: "index.handler", memorySize: 128 })).status, 201);
    const inputs = await functionInputs(p, "foreign", await codeDir(nodeHandler("mine")));
    await assert.rejects(provider.create(inputs), /Function "foreign" already exists on .*, and this stack did not create it\. HotSwap does not adopt functions/);
    const live = await p.api("GET", "/api/v1/functions/foreign");
    assert.equal(live.json.memorySize, 128);
    assert.equal(live.json.latestVersion, null);
  });

  test("create leaves nothing behind when the platform refuses the code", async () => {
    const inputs = await functionInputs(p, "no-handler", await codeDir({ "other.js": "exports.x = 1;\n" }));
    await assert.rejects(provider.create(inputs), /Publishing a version of function "no-handler" failed \(InvalidHandler, HTTP 400\): .*index\.js.* The function was deleted again/s);
    assert.equal((await p.api("GET", "/api/v1/functions/no-handler")).status, 404);
  });

  test("a refused configuration change is undone, so the platform keeps matching the state", async () => {
    const dir = await codeDir(nodeHandler("undo"));
    const inputs = await functionInputs(p, "undone", dir);
    const { outs } = await provider.create(inputs);
    const broken = await functionInputs(p, "undone", dir, { handler: "missing.handler" });
    await assert.rejects(provider.update!("undone", outs, broken), /InvalidHandler.*Its configuration was restored\./s);
    const live = await p.api("GET", "/api/v1/functions/undone");
    assert.equal(live.json.handler, "index.handler");
    assert.equal(live.json.latestVersion, 1);
  });

  test("a credentials-only change updates the state without publishing a version", async () => {
    const inputs = await functionInputs(p, "rekeyed", await codeDir(nodeHandler("key")), { reservedConcurrency: 5 });
    const created = await captureLogs(() => provider.create(inputs));
    assert.ifError(created.error);
    assert.ok(!created.lines.some((l) => /^warn:/.test(l)), created.lines.join("\n"));
    const { outs } = created.result!;
    const rekeyed = { ...inputs, endpoint: `${p.url}/` };
    const diff = await provider.diff!("rekeyed", outs, rekeyed);
    assert.equal(diff.changes, true);
    assert.deepEqual(diff.replaces, []);
    const updated = await provider.update!("rekeyed", outs, rekeyed);
    assert.equal(updated.outs.latestVersion, 1);
    assert.equal(updated.outs.endpoint, `${p.url}/`);
    assert.equal((await p.api("GET", "/api/v1/functions/rekeyed")).json.latestVersion, 1);
  });

  test("create sends reservedConcurrency and provisionedConcurrency; an unchanged stack stays a no-op", async () => {
    const dir = await codeDir(nodeHandler("capacity"));
    const inputs = await functionInputs(p, "capacity-create", dir, { reservedConcurrency: 10, provisionedConcurrency: 2 });
    const { outs } = await provider.create(inputs);
    const live = (await p.api("GET", "/api/v1/functions/capacity-create")).json;
    assert.equal(live.reservedConcurrency, 10);
    assert.equal(live.provisionedConcurrency, 2);
    assert.equal(live.latestVersion, 1);
    const again = await functionInputs(p, "capacity-create", dir, { reservedConcurrency: 10, provisionedConcurrency: 2 });
    assert.deepEqual(await provider.diff!("capacity-create", outs, again), { changes: false, replaces: [], deleteBeforeReplace: false });
    // Refresh of an in-sync function changes nothing either.
    const read = await provider.read!("capacity-create", outs);
    assert.deepEqual(await provider.diff!("capacity-create", read.props, again), { changes: false, replaces: [], deleteBeforeReplace: false });
    // Unset reads back as unset, not as the API's defaults.
    const plain = await functionInputs(p, "capacity-unset", dir);
    const plainOuts = (await provider.create(plain)).outs;
    const plainRead = await provider.read!("capacity-unset", plainOuts);
    assert.equal(plainRead.props.reservedConcurrency, undefined);
    assert.equal(plainRead.props.provisionedConcurrency, undefined);
    assert.deepEqual(await provider.diff!("capacity-unset", plainRead.props, plain), { changes: false, replaces: [], deleteBeforeReplace: false });
  });

  test("changing only provisionedConcurrency updates the function without publishing a version", async () => {
    const dir = await codeDir(nodeHandler("capacity"));
    const inputs = await functionInputs(p, "capacity-update", dir, { reservedConcurrency: 10, provisionedConcurrency: 1 });
    const { outs } = await provider.create(inputs);
    const raised = await functionInputs(p, "capacity-update", dir, { reservedConcurrency: 10, provisionedConcurrency: 3 });
    assert.deepEqual(await provider.diff!("capacity-update", outs, raised), { changes: true, replaces: [], deleteBeforeReplace: false });
    const logged = await captureLogs(() => provider.update!("capacity-update", outs, raised));
    assert.ifError(logged.error);
    assert.ok(logged.lines.some((l) => /updated provisionedConcurrency; no new version/.test(l)), logged.lines.join("\n"));
    assert.equal(logged.result!.outs.latestVersion, 1);
    assert.equal(logged.result!.outs.provisionedConcurrency, 3);
    const live = (await p.api("GET", "/api/v1/functions/capacity-update")).json;
    assert.equal(live.provisionedConcurrency, 3);
    assert.equal(live.reservedConcurrency, 10);
    assert.equal(live.latestVersion, 1);
    assert.equal((await p.api("GET", "/api/v1/functions/capacity-update/versions/2")).status, 404);
    // Removing both from the args puts the API's defaults back, still without a version.
    const removed = await functionInputs(p, "capacity-update", dir);
    const cleared = await provider.update!("capacity-update", logged.result!.outs, removed);
    assert.equal(cleared.outs.latestVersion, 1);
    const after = (await p.api("GET", "/api/v1/functions/capacity-update")).json;
    assert.equal(after.reservedConcurrency, null);
    assert.equal(after.provisionedConcurrency, 0);
    assert.equal(after.latestVersion, 1);
  });

  test("read reports capacity changed outside the stack, and the next update restores it without a version", async () => {
    const dir = await codeDir(nodeHandler("capacity"));
    const inputs = await functionInputs(p, "capacity-drift", dir, { reservedConcurrency: 8, provisionedConcurrency: 2 });
    const { outs } = await provider.create(inputs);
    const changed = await p.api("PUT", "/api/v1/functions/capacity-drift", { reservedConcurrency: 20, provisionedConcurrency: 5 });
    assert.equal(changed.status, 200, changed.text);
    const read = await provider.read!("capacity-drift", outs);
    assert.equal(read.props.reservedConcurrency, 20);
    assert.equal(read.props.provisionedConcurrency, 5);
    assert.deepEqual(await provider.diff!("capacity-drift", read.props, inputs), { changes: true, replaces: [], deleteBeforeReplace: false });
    const restored = await provider.update!("capacity-drift", read.props as FunctionOutputs, inputs);
    assert.equal(restored.outs.latestVersion, 1);
    const live = (await p.api("GET", "/api/v1/functions/capacity-drift")).json;
    assert.equal(live.reservedConcurrency, 8);
    assert.equal(live.provisionedConcurrency, 2);
    assert.equal(live.latestVersion, 1);
  });

  test("delete removes the function with its versions, and succeeds when it is already gone", async () => {
    const inputs = await functionInputs(p, "deleted", join(FIXTURES, "node-cjs"));
    const { outs } = await provider.create(inputs);
    await provider.delete!("deleted", outs);
    assert.equal((await p.api("GET", "/api/v1/functions/deleted")).status, 404);
    await provider.delete!("deleted", outs);
  });

  test("a wrong API key fails with the platform's message", async () => {
    const inputs = await functionInputs(p, "unauthorized", await codeDir(nodeHandler("x")));
    await assert.rejects(provider.create({ ...inputs, apiKey: "hs_nobody_abcdefghijklmnopqrstuvwxyzABCDEF0123" }), /Creating function "unauthorized" failed \(Unauthorized, HTTP 401\)/);
    await assert.rejects(provider.create({ ...inputs, endpoint: "http://127.0.0.1:1" }), /failed \(Unreachable\): cannot reach the HotSwap API at http:\/\/127\.0\.0\.1:1/);
  });
});
