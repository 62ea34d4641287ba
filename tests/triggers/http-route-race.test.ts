/**
 * Http route conflicts are atomic: many concurrent creates (and updates) of Http triggers claiming
 * the same method and path shape, on PGlite and on Postgres (a connection pool, so the writes
 * really overlap): exactly one wins, every other answers 409 RouteConflict, and the database holds
 * one trigger for the route.
 */
import assert from "node:assert/strict";
import { apiOf } from "../support/deploy.ts";
import { forEachMode, it } from "../support/platform.ts";
import { createTrigger, deployEcho } from "./support.ts";

const N = 12;

forEachMode("Http route conflicts under concurrent writes", (p) => {
  it("of many concurrent creates of one route exactly one is created; the others get 409 RouteConflict", async () => {
    const api = apiOf(p());
    await deployEcho(p(), "race1");
    await deployEcho(p(), "race2");
    const answers = await Promise.all(
      Array.from({ length: N }, (_, i) => api.triggers.create({ functionName: i % 2 ? "race1" : "race2", type: "Http", config: { methods: ["POST"], path: `/race/{p${i}}` } })),
    );
    const created = answers.filter((a) => a.ok);
    assert.equal(created.length, 1, `one create wins: ${JSON.stringify(answers.map((a) => (a.ok ? 201 : a.error.code)))}`);
    assert.deepEqual(answers.filter((a) => !a.ok).map((a) => !a.ok && [a.error.status, a.error.code]), Array.from({ length: N - 1 }, () => [409, "RouteConflict"]));
    const listed = await api.triggers.list({ type: "Http" });
    assert.ok(listed.ok);
    assert.equal(listed.value.triggers.filter((t) => (t.config as { path: string }).path.startsWith("/race/")).length, 1);
  });

  it("of concurrent updates moving different triggers onto one route exactly one succeeds", async () => {
    const api = apiOf(p());
    await deployEcho(p(), "move1");
    const ids: string[] = [];
    for (let i = 0; i < N; i++) ids.push((await createTrigger(p(), { functionName: "move1", type: "Http", config: { methods: ["PUT"], path: `/from/${i}` } })).triggerId);
    const answers = await Promise.all(ids.map((id, i) => api.triggers.update(id, { config: { methods: ["PUT"], path: `/to/{x${i}}` } })));
    assert.equal(answers.filter((a) => a.ok).length, 1, `one update wins: ${JSON.stringify(answers.map((a) => (a.ok ? 200 : a.error.code)))}`);
    assert.ok(answers.every((a) => a.ok || a.error.code === "RouteConflict"));
  });
});
