/**
 * The Trigger provider's methods called directly against a real embedded control plane: check,
 * create (the Http route answers), no-op diff, replace on function or type, update in place, drift
 * through read and its repair, the platform's 400/409 as the error, refresh of a deleted trigger,
 * delete. Then the same provider as Pulumi runs it: serialized into Pulumi's dynamic-provider host.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startPlatform, type TestPlatform } from "../support/platform.ts";
import { deployFunction, nodeCode } from "../support/deploy.ts";
import { triggerProvider as provider } from "../../infra/sdk/trigger-provider.ts";
import type { TriggerInputs, TriggerOutputs } from "../../infra/sdk/trigger-inputs.ts";
import { ProviderHost, serializeProvider } from "./support/provider-host.ts";
import { FAKE_KEY } from "./support/sdk.ts";

const TRIGGER_URN = "urn:pulumi:test::hello::pulumi-nodejs:dynamic/hotswap:Trigger::hosted-route";

describe("hotswap.Trigger provider against an embedded control plane", () => {
  let p: TestPlatform;
  before(async () => {
    p = await startPlatform("embedded");
    await deployFunction(p, { name: "api", code: nodeCode("exports.handler = async (e) => ({ route: e.routeKey, id: e.pathParameters?.id ?? null })"), alias: { name: "live" } });
  });
  after(async () => {
    await p?.close();
  });

  async function inputs(over: Record<string, unknown> = {}): Promise<TriggerInputs> {
    const r = await provider.check!({}, { endpoint: p.url, apiKey: p.key, functionName: "api", type: "Http", config: { methods: ["GET"], path: "/items/{id}", auth: "none" }, ...over });
    assert.deepEqual(r.failures, []);
    return r.inputs as TriggerInputs;
  }
  const live = async (id: string) => (await p.api("GET", `/api/v1/triggers/${id}`)).json;

  test("check fills defaults and refuses what the platform would (unknown types, bad names and shapes); Queue and Stream pass", async () => {
    const ok = await inputs();
    assert.equal(ok.qualifier, "$LATEST");
    assert.equal(ok.enabled, true);
    const bad = await provider.check!({}, { endpoint: "nope", apiKey: FAKE_KEY, functionName: "bad name", type: "Kafka", config: [] });
    assert.deepEqual(bad.failures!.map((f) => f.property), ["endpoint", "function", "type", "config"]);
    assert.match(bad.failures![2]!.reason, /type must be "Http", "Scheduled", "Queue" or "Stream", got "Kafka"/);
    const queue = await provider.check!({}, { endpoint: p.url, apiKey: p.key, functionName: "api", type: "Queue", config: { source: "redis", stream: "orders" } });
    assert.deepEqual(queue.failures, []);
    const kafka = await provider.check!({}, { endpoint: p.url, apiKey: p.key, functionName: "api", type: "Queue", config: { source: "kafka", stream: "orders" } });
    assert.deepEqual(kafka.failures!.map((f) => f.property), ["config.source"]);
    const http = await provider.check!({}, { endpoint: p.url, apiKey: p.key, functionName: "api", type: "Http", config: { methods: [], path: "items" } });
    assert.deepEqual(http.failures!.map((f) => f.property), ["config.path", "config.methods"]);
    const stream = await provider.check!({}, { endpoint: p.url, apiKey: p.key, functionName: "api", type: "Stream", config: { source: "kafka", stream: "" } });
    assert.deepEqual(stream.failures!.map((f) => f.property), ["config.source", "config.stream"]);
    assert.match(stream.failures![0]!.reason, /config.source must be "redis" or "nats", got "kafka"/);
    const fine = await provider.check!({}, { endpoint: p.url, apiKey: p.key, functionName: "api", type: "Stream", config: { source: "nats", stream: "ORDERS" } });
    assert.deepEqual(fine.failures ?? [], []);
  });

  test("create serves the route; an unchanged stack diffs as no change; function or type changes replace", async () => {
    const ins = await inputs({ qualifier: "live" });
    const { id, outs } = await provider.create(ins);
    assert.match(id, /^[0-9a-f-]{36}$/);
    assert.equal(outs.triggerId, id);
    assert.equal(outs.url, `${p.url}/fn/items/{id}`);
    assert.equal(outs.appliedConfig.maxBodyBytes, 6 * 1024 * 1024);
    const served = await fetch(`${p.url}/fn/items/9`);
    assert.deepEqual(await served.json(), { route: "GET /items/{id}", id: "9" });
    assert.deepEqual(await provider.diff!(id, outs, await inputs({ qualifier: "live" })), { changes: false, replaces: [], deleteBeforeReplace: true });
    assert.deepEqual(await provider.diff!(id, outs, await inputs({ qualifier: "live", type: "Scheduled", config: { schedule: "rate(1 day)" } })), { changes: true, replaces: ["type"], deleteBeforeReplace: true });
    assert.deepEqual((await provider.diff!(id, outs, await inputs({ qualifier: "live", functionName: "other" }))).replaces, ["functionName"]);
    await provider.delete!(id, outs);
    assert.equal((await p.api("GET", `/api/v1/triggers/${id}`)).status, 404);
    assert.equal((await fetch(`${p.url}/fn/items/9`)).status, 404);
  });

  test("update changes the route in place; the platform's 400 and 409 come back as errors", async () => {
    const { id, outs } = await provider.create(await inputs({ config: { methods: ["GET"], path: "/upd/{id}", auth: "none" } }));
    const moved = await inputs({ config: { methods: ["GET", "POST"], path: "/upd2/{id}", auth: "none" } });
    assert.deepEqual(await provider.diff!(id, outs, moved), { changes: true, replaces: [], deleteBeforeReplace: true });
    const { outs: after } = await provider.update!(id, outs, moved);
    assert.equal(after.url, `${p.url}/fn/upd2/{id}`);
    assert.deepEqual((await live(id)).config.methods, ["GET", "POST"]);
    assert.equal((await fetch(`${p.url}/fn/upd2/1`, { method: "POST" })).status, 200);

    await assert.rejects(provider.update!(id, after, await inputs({ config: { methods: ["GET"], path: "/upd/{id}", auth: "jwt" } })), /Updating hotswap\.Trigger \(Http on "api"\) failed \(UnsupportedAuth, HTTP 400\)/);
    const other = await provider.create(await inputs({ config: { methods: ["PUT"], path: "/upd3" } }));
    await assert.rejects(
      provider.update!(id, after, await inputs({ config: { methods: ["PUT"], path: "/upd3", auth: "none" } })),
      new RegExp(`failed \\(RouteConflict, HTTP 409\\): PUT /upd3 is already routed by trigger ${other.id}`),
    );
    await assert.rejects(provider.create(await inputs({ functionName: "ghost" })), /Creating hotswap\.Trigger \(Http on "ghost"\) failed \(FunctionNotFound, HTTP 404\)/);
  });

  test("read shows a trigger changed outside the stack as drift, and the next update restores it", async () => {
    const ins = await inputs({ config: { methods: ["GET"], path: "/drift", auth: "none" } });
    const { id, outs } = await provider.create(ins);
    const untouched = await provider.read!(id, outs);
    assert.deepEqual(untouched.props.config, ins.config, "no drift: the stack's config stays as written");
    assert.deepEqual(await provider.diff!(id, untouched.props, ins), { changes: false, replaces: [], deleteBeforeReplace: true });

    const changed = await p.api("PUT", `/api/v1/triggers/${id}`, { enabled: false, config: { methods: ["GET"], path: "/drifted", auth: "key" } });
    assert.equal(changed.status, 200, changed.text);
    const read = await provider.read!(id, outs);
    assert.equal(read.id, id);
    assert.equal(read.props.enabled, false);
    assert.equal(read.props.config.path, "/drifted");
    assert.deepEqual(await provider.diff!(id, read.props, ins), { changes: true, replaces: [], deleteBeforeReplace: true });
    await provider.update!(id, read.props as TriggerOutputs, ins);
    const restored = await live(id);
    assert.equal(restored.enabled, true);
    assert.equal(restored.config.path, "/drift");
    assert.equal(restored.config.auth, "none");

    assert.equal((await p.api("DELETE", `/api/v1/triggers/${id}`)).status, 204);
    assert.deepEqual(await provider.read!(id, outs), { id: "", props: {} }, "refresh forgets a trigger deleted outside the stack");
    await assert.rejects(provider.update!(id, outs, await inputs({ config: { methods: ["GET"], path: "/drift2", auth: "none" } })), /was deleted outside this stack/);
    await provider.delete!(id, outs); // already gone: no error
  });

  test("a Scheduled trigger is created with its config as the platform applied it", async () => {
    const ins = await inputs({ type: "Scheduled", qualifier: "live", config: { schedule: "cron(0 3 * * ? *)", timezone: "Europe/Berlin" } });
    const { id, outs } = await provider.create(ins);
    assert.equal(outs.url, undefined);
    const t = await live(id);
    assert.equal(t.type, "Scheduled");
    assert.equal(t.qualifier, "live");
    assert.deepEqual(t.config, { schedule: "cron(0 3 * * ? *)", timezone: "Europe/Berlin", catchUp: false });
    // The defaults the platform filled in are not drift: the unchanged stack diffs as no change.
    assert.deepEqual(await provider.diff!(id, outs, ins), { changes: false, replaces: [], deleteBeforeReplace: true });
    await provider.delete!(id, outs);
  });

  test("runs in Pulumi's dynamic-provider host: check, create, diff, update, read, delete", async () => {
    const host = await ProviderHost.start();
    try {
      const text = await serializeProvider(provider);
      const news = { __provider: text, endpoint: p.url, apiKey: p.key, resourceUrn: TRIGGER_URN, functionName: "api", type: "Http", config: { methods: ["GET"], path: "/hosted/{id}", auth: "none" } };
      const checked = await host.check(TRIGGER_URN, {}, news);
      assert.deepEqual(checked.failures, []);
      const created = await host.create(TRIGGER_URN, checked.inputs);
      assert.equal((await fetch(`${p.url}/fn/hosted/3`)).status, 200);
      const again = await host.check(TRIGGER_URN, checked.inputs, news);
      assert.deepEqual(await host.diff(TRIGGER_URN, created.id, created.outs, again.inputs), { changes: "none", replaces: [] });
      const next = await host.check(TRIGGER_URN, checked.inputs, { ...news, enabled: false });
      assert.deepEqual(await host.diff(TRIGGER_URN, created.id, created.outs, next.inputs), { changes: "some", replaces: [] });
      const updated = await host.update(TRIGGER_URN, created.id, created.outs, next.inputs);
      assert.equal(updated.outs.enabled, false);
      assert.equal((await fetch(`${p.url}/fn/hosted/3`)).status, 404);
      const read = await host.read(TRIGGER_URN, created.id, updated.outs);
      assert.equal(read.id, created.id);
      await host.delete(TRIGGER_URN, created.id, updated.outs);
      assert.equal((await p.api("GET", `/api/v1/triggers/${created.id}`)).status, 404);
    } finally {
      await host.stop();
    }
  });
});
