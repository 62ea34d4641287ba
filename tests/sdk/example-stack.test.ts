/**
 * The example stack's functions (examples/stacks/hello/functions) deployed through the providers on
 * an embedded control plane, and invoked. The stack program itself runs from the packed package in
 * packed-sdk.test.ts (type-checked, compiled to CommonJS and run under Pulumi's mocks with plain node).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { functionProvider } from "../../infra/sdk/function-provider.ts";
import { aliasProvider } from "../../infra/sdk/alias-provider.ts";
import { triggerProvider } from "../../infra/sdk/trigger-provider.ts";
import { startPlatform, type TestPlatform } from "../support/platform.ts";
import { functionInputs } from "./support/sdk.ts";

const EXAMPLE = fileURLToPath(new URL("../../examples/stacks/hello", import.meta.url));

describe("the example's functions on an embedded control plane", () => {
  let p: TestPlatform;
  before(async () => {
    p = await startPlatform("embedded");
  });
  after(async () => {
    await p?.close();
  });

  test("hello answers with the configured greeting through its alias, and throws when fail is set", async () => {
    const code = join(EXAMPLE, "functions/hello");
    const { outs } = await functionProvider.create(await functionInputs(p, "hello", code, { environment: { GREETING: "Hi", FAIL: "false" } }));
    await aliasProvider.create({ ...(await aliasProvider.check!({}, { endpoint: p.url, apiKey: p.key, functionName: "hello", name: "live", version: 1 })).inputs });
    const res = await p.api("POST", "/api/v1/functions/hello/invoke?qualifier=live", { name: "HotSwap" });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.message, "Hi, HotSwap!");
    assert.equal(res.json.version, "1");
    const failing = await functionProvider.update!("hello", outs, await functionInputs(p, "hello", code, { environment: { GREETING: "Hi", FAIL: "true" } }));
    const thrown = await p.api("POST", `/api/v1/functions/hello/invoke?qualifier=${failing.outs.latestVersion}`, {});
    assert.equal(thrown.status, 500);
    assert.match(thrown.json.errorMessage, /failing on purpose/);
    // The stack's route: GET /fn/hello through live (still version 1), public, with CORS.
    const route = await triggerProvider.check!({}, { endpoint: p.url, apiKey: p.key, functionName: "hello", qualifier: "live", type: "Http", config: { methods: ["GET"], path: "/hello", auth: "none", cors: { allowOrigins: ["*"], allowMethods: ["GET"] } } });
    assert.deepEqual(route.failures, []);
    await triggerProvider.create(route.inputs as never);
    const viaRoute = await fetch(`${p.url}/fn/hello`, { headers: { origin: "https://example.org" } });
    assert.equal(viaRoute.status, 200);
    assert.equal(viaRoute.headers.get("access-control-allow-origin"), "*");
    const body = (await viaRoute.json()) as { message: string; version: string };
    assert.equal(body.message, "Hi, world!");
    assert.equal(body.version, "1");
  });

  test("greeter answers in the requested language", async (t) => {
    const { runtimes } = (await p.api("GET", "/api/v1/runtimes")).json as { runtimes: Array<{ id: string; available: boolean; reason?: string }> };
    const python = runtimes.find((r) => r.id === "python3.12");
    if (!python?.available && process.env.CI !== "true") {
      t.skip(`python3.12 is not available on this host: ${python?.reason ?? "see GET /api/v1/runtimes"}`);
      return;
    }
    await functionProvider.create(await functionInputs(p, "greeter", join(EXAMPLE, "functions/greeter"), { runtime: "python3.12", handler: "handler.handler" }));
    const res = await p.api("POST", "/api/v1/functions/greeter/invoke?qualifier=1", { name: "Ada", lang: "fr" });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, { message: "Bonjour, Ada!", version: "1" });
  });
});
