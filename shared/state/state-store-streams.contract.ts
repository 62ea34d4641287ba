/**
 * Stream and consumer-group part of the state port contract (the async invocation queue relies on it):
 * ids, group positions, exactly-one delivery within a group, blocking reads, acks, claims and trimming.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { WithStore } from "./state-store.contract.ts";

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function idKey(id: string): bigint {
  const [ms, seq] = id.split("-");
  return (BigInt(ms) << 64n) + BigInt(seq);
}

export function registerStreamContract(withStore: WithStore): void {
  describe("streams", () => {
    test("xadd returns ms-seq ids that strictly increase, even within one millisecond", () =>
      withStore(async (s) => {
        const ids: string[] = [];
        for (let i = 0; i < 300; i++) ids.push(await s.xadd("q", { i: String(i) }));
        for (const id of ids) assert.match(id, /^\d+-\d+$/);
        for (let i = 1; i < ids.length; i++) assert.ok(idKey(ids[i]) > idKey(ids[i - 1]), `${ids[i]} after ${ids[i - 1]}`);
      }));

    test("a group from 0 sees existing entries with their fields; a group from $ only new ones", () =>
      withStore(async (s) => {
        const first = await s.xadd("q", { fn: "a", payload: "{}" });
        await s.createGroup("q", "all", "0");
        await s.createGroup("q", "new", "$");
        const second = await s.xadd("q", { fn: "b" });
        assert.deepEqual(await s.readGroup("q", "all", "c1"), [
          { id: first, fields: { fn: "a", payload: "{}" }, deliveries: 1 },
          { id: second, fields: { fn: "b" }, deliveries: 1 },
        ]);
        assert.deepEqual((await s.readGroup("q", "new", "c1")).map((e) => e.id), [second]);
      }));

    test("createGroup creates the stream and is idempotent without moving the group", () =>
      withStore(async (s) => {
        await s.createGroup("q", "g", "0");
        await s.xadd("q", { n: "1" });
        assert.equal((await s.readGroup("q", "g", "c1")).length, 1);
        await s.createGroup("q", "g", "0");
        assert.deepEqual(await s.readGroup("q", "g", "c1"), [], "nothing is delivered twice");
        assert.equal(await s.pendingCount("q", "g"), 1, "the pending list survives");
      }));

    test("readGroup honours count and returns [] when nothing is new", () =>
      withStore(async (s) => {
        await s.createGroup("q", "g", "0");
        for (let i = 0; i < 5; i++) await s.xadd("q", { i: String(i) });
        assert.deepEqual((await s.readGroup("q", "g", "c", { count: 2 })).map((e) => e.fields.i), ["0", "1"]);
        assert.deepEqual((await s.readGroup("q", "g", "c", { count: 10 })).map((e) => e.fields.i), ["2", "3", "4"]);
        assert.deepEqual(await s.readGroup("q", "g", "c", { count: 10 }), []);
      }));

    test("each entry goes to exactly one consumer of a group", () =>
      withStore(async (s) => {
        await s.createGroup("q", "g", "0");
        const added = new Set<string>();
        for (let i = 0; i < 30; i++) added.add(await s.xadd("q", { i: String(i) }));
        const seen: string[] = [];
        const consumers = ["c1", "c2", "c3"];
        const drain = async (c: string) => {
          for (;;) {
            const got = await s.readGroup("q", "g", c, { count: 4 });
            if (got.length === 0) return;
            seen.push(...got.map((e) => e.id));
          }
        };
        await Promise.all(consumers.map(drain));
        assert.equal(seen.length, added.size, "no entry is delivered twice");
        assert.deepEqual(new Set(seen), added);
      }));

    test("two groups each see every entry", () =>
      withStore(async (s) => {
        await s.createGroup("q", "router", "0");
        await s.createGroup("q", "audit", "0");
        const ids = [await s.xadd("q", { n: "1" }), await s.xadd("q", { n: "2" })];
        assert.deepEqual((await s.readGroup("q", "router", "r1")).map((e) => e.id), ids);
        assert.deepEqual((await s.readGroup("q", "audit", "a1")).map((e) => e.id), ids);
      }));

    test("invalid stream arguments are rejected before reaching the store", () =>
      withStore(async (s) => {
        await assert.rejects(s.xadd("q", {}), RangeError);
        await assert.rejects(s.xadd("q", { a: "1" }, { maxLen: 0 }), RangeError);
        await s.createGroup("q", "g");
        await assert.rejects(s.readGroup("q", "g", "c", { count: 0 }), RangeError);
        await assert.rejects(s.readGroup("q", "g", "c", { blockMs: -1 }), RangeError);
        await assert.rejects(s.claimStale("q", "g", "c", -1), RangeError);
      }));

    test("readGroup and pendingCount reject with NOGROUP for a missing group", () =>
      withStore(async (s) => {
        await assert.rejects(s.readGroup("nostream", "g", "c"), /NOGROUP/);
        await s.createGroup("q", "g");
        await assert.rejects(s.readGroup("q", "other", "c"), /NOGROUP/);
        await assert.rejects(s.pendingCount("q", "other"), /NOGROUP/);
      }));

    test("a blocked readGroup wakes as soon as xadd adds an entry", () =>
      withStore(async (s) => {
        await s.createGroup("q", "g");
        const started = Date.now();
        const read = s.readGroup("q", "g", "c", { blockMs: 5000 });
        // The port has no "reader is blocked" event; give the read a moment to reach the server.
        await delay(50);
        const id = await s.xadd("q", { job: "1" });
        const got = await read;
        assert.deepEqual(got.map((e) => e.id), [id]);
        assert.ok(Date.now() - started < 1500, `woke after ${Date.now() - started} ms`);
      }));

    test("a blocked readGroup returns [] after blockMs when nothing arrives", () =>
      withStore(async (s) => {
        await s.createGroup("q", "g");
        const started = Date.now();
        assert.deepEqual(await s.readGroup("q", "g", "c", { blockMs: 120 }), []);
        const waited = Date.now() - started;
        assert.ok(waited >= 100 && waited < 1500, `waited ${waited} ms`);
      }));

    test("of two consumers blocked on one group, only one receives a new entry", () =>
      withStore(async (s) => {
        await s.createGroup("q", "g");
        const a = s.readGroup("q", "g", "a", { blockMs: 300 });
        const b = s.readGroup("q", "g", "b", { blockMs: 300 });
        await delay(50);
        await s.xadd("q", { job: "1" });
        const [ga, gb] = await Promise.all([a, b]);
        assert.equal(ga.length + gb.length, 1);
      }));

    test("ack removes entries from the pending count, once", () =>
      withStore(async (s) => {
        await s.createGroup("q", "g", "0");
        const ids = [await s.xadd("q", { n: "1" }), await s.xadd("q", { n: "2" })];
        await s.readGroup("q", "g", "c");
        assert.equal(await s.pendingCount("q", "g"), 2);
        assert.equal(await s.ack("q", "g", [ids[0]]), 1);
        assert.equal(await s.pendingCount("q", "g"), 1);
        assert.equal(await s.ack("q", "g", [ids[0], ids[1]]), 1, "an acked id counts once");
        assert.equal(await s.pendingCount("q", "g"), 0);
        assert.equal(await s.ack("q", "g", []), 0);
      }));

    test("claimStale hands an unacked entry to another consumer once it is idle long enough", () =>
      withStore(async (s) => {
        await s.createGroup("q", "g", "0");
        const id = await s.xadd("q", { job: "1" });
        await s.xadd("q", { job: "2" });
        const [first] = await s.readGroup("q", "g", "crashed", { count: 1 });
        assert.equal(first.id, id);
        assert.deepEqual(await s.claimStale("q", "g", "rescuer", 60_000), [], "not idle long enough yet");
        await delay(60);
        const claimed = await s.claimStale("q", "g", "rescuer", 50);
        assert.deepEqual(claimed, [{ id, fields: { job: "1" }, deliveries: 2 }]);
        assert.equal(await s.pendingCount("q", "g"), 1, "still pending until acked");
        const again = await s.claimStale("q", "g", "third", 0);
        assert.equal(again[0]?.deliveries, 3);
        assert.equal(await s.ack("q", "g", [id]), 1);
        assert.equal(await s.pendingCount("q", "g"), 0);
        assert.deepEqual((await s.readGroup("q", "g", "next")).map((e) => e.fields.job), ["2"], "claims do not move the group");
      }));

    test("claimStale respects count", () =>
      withStore(async (s) => {
        await s.createGroup("q", "g", "0");
        for (let i = 0; i < 5; i++) await s.xadd("q", { i: String(i) });
        await s.readGroup("q", "g", "crashed");
        assert.equal((await s.claimStale("q", "g", "r", 0, 2)).length, 2);
        assert.equal((await s.claimStale("q", "g", "r", 0)).length, 5);
      }));

    test("xadd with maxLen trims the oldest entries and keeps the newest", () =>
      withStore(async (s) => {
        const ids: string[] = [];
        for (let i = 0; i < 300; i++) ids.push(await s.xadd("q", { i: String(i) }, { maxLen: 10 }));
        await s.createGroup("q", "g", "0");
        const kept = (await s.readGroup("q", "g", "c")).map((e) => e.id);
        // Redis trims approximately (whole nodes of up to 100 entries), so only bound it.
        assert.ok(kept.length >= 10 && kept.length <= 200, `kept ${kept.length}`);
        assert.equal(kept.at(-1), ids.at(-1));
        assert.ok(!kept.includes(ids[0]));
      }));

    test("close wakes a blocked reader with []", () =>
      withStore(async (s) => {
        await s.createGroup("q", "g");
        const started = Date.now();
        const read = s.readGroup("q", "g", "c", { blockMs: 10_000 });
        await delay(50);
        await s.close();
        assert.deepEqual(await read, []);
        assert.ok(Date.now() - started < 2000);
      }));
  });
}
