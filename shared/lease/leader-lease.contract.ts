/**
 * Contract suite for the leader lease: the same behaviour on every state-store adapter (memory and
 * Redis, run from leader-lease.test.ts). Replicas are LeaderLease objects on one store; a replica
 * that is "partitioned" believes its renewals succeed while the store no longer hears from it (a
 * long GC pause, a network split), which is what fencing tokens exist for.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Lease, StateStore } from "../state/state-store.ts";
import { LeaderLease, leaderLeaseName, type LeaderLeaseOptions } from "./leader-lease.ts";

export interface LeaseHarness {
  store: StateStore;
  /** Called after the store is closed. */
  cleanup(): Promise<void>;
}

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function until(what: string, pred: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await delay(10);
  }
}

/** A view of `store` whose lease calls can be cut off: `partitioned` fakes success locally, `failing` rejects. */
function flaky(store: StateStore): StateStore & { partitioned: boolean; failing: boolean } {
  const s = Object.create(store) as StateStore & { partitioned: boolean; failing: boolean };
  s.partitioned = false;
  s.failing = false;
  const cut = () => {
    if (s.failing) throw new Error("state store unreachable");
    return s.partitioned;
  };
  s.acquireLease = async (name, holder, ttlMs) => (cut() ? null : store.acquireLease(name, holder, ttlMs));
  s.renewLease = async (lease: Lease, ttlMs) => (cut() ? { ...lease, expiresAt: Date.now() + ttlMs } : store.renewLease(lease, ttlMs));
  return s;
}

export function runLeaderLeaseContract(adapter: string, make: () => Promise<LeaseHarness>, opts: { skip?: string } = {}): void {
  describe(`LeaderLease on the ${adapter} state store`, { skip: opts.skip }, () => {
    /** Runs `fn` with a fresh store and a replica factory; stops every replica and closes the store after. */
    async function withReplicas(fn: (replica: (holder: string, o?: Partial<LeaderLeaseOptions> & { store?: StateStore }) => LeaderLease, store: StateStore, events: string[]) => Promise<void>): Promise<void> {
      const { store, cleanup } = await make();
      const replicas: LeaderLease[] = [];
      const events: string[] = [];
      try {
        await fn(
          (holder, o = {}) => {
            const lease = new LeaderLease(o.store ?? store, {
              duty: "rollouts",
              namespace: "hs:c1:",
              holder,
              ttlMs: 1500,
              renewMs: 100,
              onAcquired: (token) => events.push(`${holder}:acquired:${token}`),
              onLost: (token, why) => events.push(`${holder}:lost:${token}:${why}`),
              ...o,
            });
            replicas.push(lease);
            return lease;
          },
          store,
          events,
        );
      } finally {
        for (const r of replicas) await r.stop();
        await store.close();
        await cleanup();
      }
    }

    test("a lone replica acquires the lease named after its cluster and duty, with a fencing token", () =>
      withReplicas(async (replica, store) => {
        const a = replica("a");
        assert.equal(a.name, "hs:c1:rollouts:leader");
        assert.equal(leaderLeaseName("hs:c1:", "async-retries"), "hs:c1:async-retries:leader");
        assert.equal(a.isLeader(), false, "not before start");
        assert.equal(a.token, undefined);
        await a.start();
        assert.equal(a.isLeader(), true);
        assert.ok(Number.isInteger(a.token) && a.token! > 0, `token ${a.token}`);
        assert.equal(await store.acquireLease("hs:c1:rollouts:leader", "someone else", 1000), null, "the key is held in the store");
      }));

    test("two replicas of one duty never lead at once; other duties and clusters have leaders of their own", () =>
      withReplicas(async (replica) => {
        const a = replica("a");
        const b = replica("b");
        await a.start();
        await b.start();
        for (let i = 0; i < 10; i++) {
          assert.equal(a.isLeader(), true, "the first holder keeps renewing");
          assert.equal(b.isLeader(), false, "the second waits");
          await delay(50);
        }
        const capacity = replica("b", { duty: "capacity" });
        const otherCluster = replica("b", { namespace: "hs:c2:" });
        await capacity.start();
        await otherCluster.start();
        assert.equal(capacity.isLeader(), true);
        assert.equal(capacity.name, "hs:c1:capacity:leader");
        assert.equal(otherCluster.isLeader(), true);
        assert.equal(otherCluster.name, "hs:c2:rollouts:leader");
      }));

    test("a replica that stops renewing is replaced after the TTL by one with a larger token", () =>
      withReplicas(async (replica, _store, events) => {
        const a = replica("a");
        await a.hold(); // acquired once and never renewed: a crashed process
        const first = a.token!;
        const b = replica("b");
        await b.start();
        assert.equal(b.isLeader(), false, "not while the lease is live");
        const since = Date.now();
        await until("b takes over", () => b.isLeader());
        assert.ok(Date.now() - since >= 1000, `took over after ${Date.now() - since} ms, before the TTL ran out`);
        assert.ok(b.token! > first, `token ${b.token} after ${first}`);
        assert.equal(a.isLeader(), false, "the expired holder no longer acts");
        await a.hold();
        assert.equal(a.isLeader(), false, "and cannot take it back");
        assert.deepEqual(
          events.map((e) => e.replace(/:\d+/, "")),
          ["a:acquired", "b:acquired", "a:lost:the lease expired before it was renewed"],
        );
      }));

    test("a deposed leader holds a lower token and learns it lost at its next renewal", () =>
      withReplicas(async (replica, store, events) => {
        const cut = flaky(store);
        const a = replica("a", { store: cut });
        await a.start();
        const tokenA = a.token!;
        cut.partitioned = true;
        const b = replica("b");
        await b.start();
        await until("b takes over", () => b.isLeader());
        assert.equal(a.isLeader(), true, "a still believes it leads (its renewals never reach the store)");
        assert.ok(b.token! > tokenA, `the new leader's token ${b.token} is above the deposed one's ${tokenA}`);
        cut.partitioned = false;
        await until("a learns it lost", () => !a.isLeader());
        assert.equal(a.token, undefined);
        assert.ok(events.includes(`a:lost:${tokenA}:renewal refused: another replica holds the lease`), events.join(", "));
        assert.equal(b.isLeader(), true, "the new leader is undisturbed");
      }));

    test("confirm renews a held lease and reports a lost one, which stops acting at once", () =>
      withReplicas(async (replica, store) => {
        const cut = flaky(store);
        const a = replica("a", { store: cut, renewMs: 60_000, ttlMs: 1500 });
        await a.start();
        await delay(1000);
        assert.equal(await a.confirm(), true);
        await delay(1000);
        assert.equal(a.isLeader(), true, "confirm extended the lease past its first TTL");
        cut.partitioned = true;
        const b = replica("b");
        await b.start();
        while (!b.isLeader()) {
          assert.equal(await a.confirm(), true, "a's renewals seem to succeed while it is cut off");
          await delay(50);
        }
        assert.equal(a.isLeader(), true, "a still believes it leads");
        cut.partitioned = false;
        assert.equal(await a.confirm(), false);
        assert.equal(a.isLeader(), false);
        assert.equal(a.token, undefined);
        assert.equal(await b.confirm(), true);
      }));

    test("a leader whose store stops answering stops acting before its lease could lapse", () =>
      withReplicas(async (replica, store, events) => {
        const cut = flaky(store);
        let renewedAt = 0;
        const renew = cut.renewLease;
        cut.renewLease = async (lease, ttlMs) => {
          const started = Date.now();
          const r = await renew(lease, ttlMs);
          if (r) renewedAt = started;
          return r;
        };
        const errors: unknown[] = [];
        let lostAt = 0;
        const a = replica("a", { store: cut, onError: (e) => errors.push(e), onLost: (_t, why) => { lostAt = Date.now(); events.push(why); } });
        await a.start();
        await until("a renewed once", () => renewedAt > 0);
        cut.failing = true;
        await until("a stops leading", () => !a.isLeader());
        assert.deepEqual(events.slice(1), ["the state store did not answer the renewal"], `it noticed, rather than letting the lease expire: ${events.join(", ")}`);
        assert.ok(lostAt < renewedAt + 1500, `stopped ${lostAt - renewedAt} ms after its last renewal, within the 1500 ms TTL`);
        assert.ok(errors.length > 0, "the errors were reported");
      }));

    test("a stopped leader hands over at once: the standby leads on its next pass, not after the TTL", () =>
      withReplicas(async (replica, _store, events) => {
        const a = replica("a", { ttlMs: 30_000 });
        const b = replica("b", { ttlMs: 30_000 });
        await a.start();
        await b.start();
        const first = a.token!;
        await a.stop();
        assert.equal(a.isLeader(), false);
        await until("b leads", () => b.isLeader(), 2000);
        assert.ok(b.token! > first, `token ${b.token} after ${first}`);
        assert.deepEqual(events, [`a:acquired:${first}`, `a:lost:${first}:stopped`, `b:acquired:${b.token}`]);
      }));

    test("a leader whose lease expired without renewal stops acting as leader", () =>
      withReplicas(async (replica) => {
        const a = replica("a", { ttlMs: 100, renewMs: 10_000 });
        await a.start();
        assert.equal(a.isLeader(), true);
        await delay(150);
        assert.equal(a.isLeader(), false);
        assert.equal(a.token, undefined);
      }));

    test("drop stops acting at once; the next pass starts a new term with a larger token", () =>
      withReplicas(async (replica, _store, events) => {
        const a = replica("a", { renewMs: 10_000 });
        await a.start();
        const first = a.token!;
        a.drop("a fenced write was refused");
        assert.equal(a.isLeader(), false);
        assert.equal(a.token, undefined);
        await a.hold();
        assert.ok(a.token! > first, `token ${a.token} after ${first}`);
        assert.deepEqual(events, [`a:acquired:${first}`, `a:lost:${first}:a fenced write was refused`, `a:acquired:${a.token}`]);
      }));

    test("tokens continue above a floor, for a lease that replaces one whose tokens were already seen", () =>
      withReplicas(async (replica) => {
        let floor = 40;
        const a = replica("a", { tokenFloor: async () => floor });
        await a.start();
        const first = a.token!;
        assert.ok(first > 40, `token ${first}`);
        floor = 45;
        await a.stop();
        const b = replica("b", { tokenFloor: async () => floor });
        await b.start();
        assert.ok(b.token! > Math.max(first, 45), `token ${b.token} after ${first}`);
      }));

  });
}
