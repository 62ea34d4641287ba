import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MemoryStateStore } from "../../../shared/state/index.ts";
import type { Trigger } from "../db/index.ts";
import { ROUTING_CHANNEL } from "../router/routing-table.ts";
import { HttpRouteTable, TRIGGERS_CHANNEL } from "./http-route-table.ts";

function trigger(id: string, functionName: string, path: string, over: Partial<Trigger> = {}): Trigger {
  const now = new Date();
  return {
    id,
    functionName,
    type: "Http",
    qualifier: "$LATEST",
    config: { methods: ["GET"], path, auth: "none", maxBodyBytes: 1000 },
    enabled: true,
    executionCount: 0,
    failureCount: 0,
    lastExecutedAt: null,
    lastError: null,
    createdAt: now,
    updatedAt: now,
    ...over,
  };
}

/** A triggers repository over an array, counting its reads. */
function repoOf(rows: Trigger[]) {
  const repo = {
    reads: 0,
    rows,
    async list() {
      repo.reads++;
      return repo.rows;
    },
  };
  return repo;
}

const settle = () => new Promise((r) => setTimeout(r, 20));

describe("HttpRouteTable", () => {
  it("serves enabled triggers with a valid config, and matches with no database read", async () => {
    const repo = repoOf([trigger("a", "f", "/a"), trigger("b", "f", "/b", { enabled: false }), trigger("c", "f", "/c", { config: { path: "no-slash" } })]);
    const errors: unknown[] = [];
    const table = new HttpRouteTable({ triggers: repo as never }, new MemoryStateStore(), { onError: (e) => errors.push(e) });
    await table.start();
    try {
      const reads = repo.reads;
      assert.equal(table.match("GET", "/a").kind, "route");
      assert.equal(table.match("GET", "/b").kind, "not-found", "disabled");
      assert.equal(table.match("GET", "/c").kind, "not-found", "invalid stored config");
      assert.equal(repo.reads, reads, "matching reads nothing");
      assert.match(String(errors[0]), /Http trigger c has an invalid stored config/);
    } finally {
      await table.stop();
    }
  });

  it("reloads on an Http change message (not on other types), and on a routing message for a function it routes", async () => {
    const state = new MemoryStateStore();
    const repo = repoOf([trigger("a", "f", "/a")]);
    const table = new HttpRouteTable({ triggers: repo as never }, state);
    await table.start();
    try {
      repo.rows = [trigger("a", "f", "/a"), trigger("n", "g", "/new")];
      await state.publish(TRIGGERS_CHANNEL, "Scheduled");
      await settle();
      assert.equal(table.match("GET", "/new").kind, "not-found", "a Scheduled change does not reload routes");
      await state.publish(TRIGGERS_CHANNEL, "Http");
      await settle();
      assert.equal(table.match("GET", "/new").kind, "route");

      repo.rows = [trigger("n", "g", "/new")];
      const reads = repo.reads;
      await state.publish(ROUTING_CHANNEL, "unrelated");
      await settle();
      assert.equal(repo.reads, reads, "a function without routes changes nothing");
      await state.publish(ROUTING_CHANNEL, "f");
      await settle();
      assert.equal(table.match("GET", "/a").kind, "not-found", "the deleted function's route is gone");
      assert.equal(table.size, 1);
    } finally {
      await table.stop();
    }
  });

  it("invalidate applies an Http change locally before it resolves, and tells the other replicas", async () => {
    const state = new MemoryStateStore();
    const heard: string[] = [];
    await state.subscribe(TRIGGERS_CHANNEL, (m) => heard.push(m));
    const repo = repoOf([]);
    const table = new HttpRouteTable({ triggers: repo as never }, state);
    await table.start();
    try {
      repo.rows = [trigger("x", "f", "/x")];
      await table.invalidate("Http");
      assert.equal(table.match("GET", "/x").kind, "route");
      await table.invalidate("Scheduled");
      await settle();
      assert.deepEqual(heard, ["Http", "Scheduled"]);
    } finally {
      await table.stop();
    }
  });
});
