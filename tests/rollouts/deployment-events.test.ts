/**
 * GET /api/v1/deployments/{id}/events through the typed client's deployments.follow: the view at
 * once, a new view when the rollout changes (the canary's weights, a pause), and after a rollback the
 * final view and `end`; an unknown id is refused with the API's 404 before any event.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startPlatform, type TestPlatform } from "../support/platform.ts";
import { apiOf, deployFunction, expectOk, nodeCode } from "../support/deploy.ts";
import { EventStreamRefused, type DeploymentStreamEvent } from "../../client/index.ts";

const code = (label: string) => nodeCode(`exports.handler = async () => ({ label: ${JSON.stringify(label)} });`);

describe("following a deployment live", () => {
  let p: TestPlatform;
  before(async () => {
    p = await startPlatform("embedded");
  });
  after(async () => {
    await p?.close();
  });

  test("pushes the view at once, on every change, and ends after the rollback", { timeout: 120_000 }, async () => {
    await deployFunction(p, { name: "ev-fn", code: [code("v1"), code("v2")], alias: { name: "live", version: 1 } });
    const api = apiOf(p);
    const id = expectOk(
      await api.deployments.create({ functionName: "ev-fn", version: 2, strategy: "Canary", config: { canaryPercentage: 25, canaryDuration: "PT10M" }, analysis: { interval: "PT1S" } }),
      "starting a canary",
    ).deploymentId;
    const seen: DeploymentStreamEvent[] = [];
    const statuses = () => seen.flatMap((e) => (e.type === "deployment" ? [e.view.status] : []));
    const stop = new AbortController();
    const reading = (async () => {
      for await (const e of api.deployments.follow(id, { signal: stop.signal })) {
        seen.push(e);
        const view = e.type === "deployment" ? e.view : undefined;
        if (view?.phase === "canary" && view.status === "InProgress" && !statuses().includes("Paused")) await api.deployments.pause(id);
        if (view?.status === "Paused") await api.deployments.rollback(id);
      }
    })();
    const timeout = setTimeout(() => stop.abort(), 90_000);
    await reading;
    clearTimeout(timeout);
    assert.equal(stop.signal.aborted, false, `the stream ended by itself (saw ${statuses().join(", ")})`);
    const first = seen[0];
    assert.equal(first?.type, "deployment");
    assert.equal(first.type === "deployment" && first.view.deploymentId, id);
    const canary = seen.find((e) => e.type === "deployment" && e.view.currentWeights["2"] === 0.25);
    assert.ok(canary, "the canary's weights were pushed");
    assert.ok(statuses().includes("Paused"), `the pause was pushed: ${statuses().join(", ")}`);
    assert.equal(statuses().at(-1), "RolledBack");
    assert.deepEqual(seen.at(-1), { type: "end", status: "RolledBack" });
    for (let i = 1; i < seen.length - 1; i++) assert.notDeepEqual(seen[i], seen[i - 1], "only changes are pushed");
  });

  test("an unknown deployment is refused with the API's 404", async () => {
    const api = apiOf(p);
    await assert.rejects(
      (async () => {
        for await (const _ of api.deployments.follow("00000000-0000-4000-8000-000000000000")) break;
      })(),
      (e: unknown) => e instanceof EventStreamRefused && e.failure.status === 404 && e.failure.code === "DeploymentNotFound",
    );
  });
});
