/**
 * The fleet's capacity duty is held under the cluster's own lease, `hs:<cluster>:capacity:leader`:
 * two replicas of one cluster share it (one places capacity), another cluster's replica has its own.
 * Embedded stores (PGlite in memory, memory state) and no runners; tests/fleet covers real fleets.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { openEmbeddedStores, type EmbeddedStores } from "../../../tests/support/embedded-stores.ts";
import { startFleet, type Fleet } from "./index.ts";

const quiet = { info() {}, warn() {} };
let stores: EmbeddedStores;

before(async () => {
  stores = await openEmbeddedStores();
});
after(async () => {
  await stores.close();
});

test("replicas of a cluster share the capacity lease hs:<cluster>:capacity:leader; another cluster leads on its own", async () => {
  const fleet = (holder: string, namespace: string) => startFleet({ state: stores.state, repos: stores.repos, routing: stores.routing, secret: "s".repeat(32), holder, namespace, log: quiet });
  const started: Fleet[] = [];
  try {
    started.push(await fleet("a", "hs:one:"), await fleet("b", "hs:one:"), await fleet("c", "hs:two:"));
    const [a, b, c] = started;
    assert.equal(a.lease.name, "hs:one:capacity:leader");
    assert.equal(a.lease.isLeader(), true);
    assert.equal(b.lease.isLeader(), false, "one replica of a cluster places capacity");
    assert.equal(c.lease.name, "hs:two:capacity:leader");
    assert.equal(c.lease.isLeader(), true);
    await a.stop();
    started.shift();
    const deadline = Date.now() + 5000;
    while (!b.lease.isLeader() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(b.lease.isLeader(), true, "the other replica takes over when the leader stops");
  } finally {
    for (const f of started) await f.stop();
  }
});
