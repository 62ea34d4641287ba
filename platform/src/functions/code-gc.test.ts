/**
 * The code collector on real parts: PGlite with the fs code store, and Postgres with the S3 server
 * the test setup starts. Functions are created and deleted through FunctionService, versions
 * reference zips put in the store; time past the grace period is simulated with the collector's
 * clock (S3 cannot backdate an object).
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { CreateFunctionBody } from "../../../protocol/api/functions.ts";
import type { CodeStore } from "../../../shared/code-store/code-store.ts";
import { FsCodeStore } from "../../../shared/code-store/fs-code-store.ts";
import { S3CodeStore } from "../../../shared/code-store/s3-code-store.ts";
import { LeaderLease } from "../../../shared/lease/leader-lease.ts";
import { MemoryStateStore } from "../../../shared/state/memory-state-store.ts";
import { createTestDatabase, serviceSkipReason, startS3Server, TEST_DATABASE_URL } from "../../../tests/support/services.ts";
import { waitFor } from "../../../tests/support/wait-for.ts";
import { createRepositories, openDatabase, type Repositories } from "../db/index.ts";
import { RoutingTable } from "../router/routing-table.ts";
import { CodeCollector, type CodeCollectorOptions } from "./code-gc.ts";
import { FunctionService } from "./function-service.ts";

const actor = { id: "test" };
const GRACE_MS = 60_000;
/** A clock past the grace period of everything put so far (and a little more, for S3's whole seconds). */
const later = () => Date.now() + GRACE_MS + 2_000;

interface Parts {
  repos: Repositories;
  store: CodeStore;
  cleanup(): Promise<void>;
}

async function pgliteAndFs(): Promise<Parts> {
  const dir = await mkdtemp(join(tmpdir(), "hs-code-gc-"));
  const database = await openDatabase({ kind: "pglite", dir: "memory://" });
  const store = new FsCodeStore(join(dir, "code"));
  await store.init();
  return {
    repos: createRepositories(database.db),
    store,
    cleanup: async () => {
      await database.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function postgresAndS3(): Promise<Parts> {
  const db = await createTestDatabase();
  const database = await openDatabase({ kind: "postgres", url: db.url });
  const s3 = await startS3Server();
  const store = new S3CodeStore({ ...s3 });
  await store.init();
  return {
    repos: createRepositories(database.db),
    store,
    cleanup: async () => {
      await store.close();
      await s3.close();
      await database.close();
      await db.drop();
    },
  };
}

const postgresSkip = await serviceSkipReason("postgres", TEST_DATABASE_URL);

for (const [label, make, skip] of [
  ["PGlite + fs code store", pgliteAndFs, undefined],
  ["Postgres + S3 code store", postgresAndS3, postgresSkip],
] as const) {
  describe(`code collector on ${label}`, { skip }, () => {
    let parts: Parts;
    let state: MemoryStateStore;
    let routing: RoutingTable;
    const collectors: CodeCollector[] = [];

    before(async () => {
      parts = await make();
      state = new MemoryStateStore();
      routing = new RoutingTable(parts.repos, state);
      await routing.start();
    });
    after(async () => {
      for (const c of collectors) await c.stop();
      await routing?.stop();
      await state?.close();
      await parts?.cleanup();
    });

    /** A started collector; `holder` names its lease (on the shared memory state: one leader at a time). */
    async function collector(o: Partial<CodeCollectorOptions> & { holder?: string } = {}): Promise<CodeCollector> {
      const c = new CodeCollector({
        versions: parts.repos.versions,
        codeStore: parts.store,
        lease: new LeaderLease(state, { duty: "code-gc", namespace: "hs:gc-test:", holder: o.holder ?? `h-${randomBytes(3).toString("hex")}`, ttlMs: 1000, renewMs: 50 }),
        graceMs: GRACE_MS,
        intervalMs: 3_600_000,
        ...o,
      });
      collectors.push(c);
      await c.start();
      return c;
    }

    async function stop(c: CodeCollector): Promise<void> {
      await c.stop();
      collectors.splice(collectors.indexOf(c), 1);
    }

    /** A function with one version per zip; returns the zips' sha256s. */
    async function fnWith(name: string, zips: Buffer[]): Promise<string[]> {
      await new FunctionService(parts.repos, routing).create(CreateFunctionBody.parse({ name, runtime: "nodejs20", handler: "index.handler" }), actor);
      const shas: string[] = [];
      for (const z of zips) {
        const stored = await parts.store.put(z);
        await parts.repos.versions.publish(name, { codeSha256: stored.sha256, codeSize: stored.size, codeLocation: stored.location });
        shas.push(stored.sha256);
      }
      return shas;
    }

    const name = (p: string) => `${p}-${randomBytes(4).toString("hex")}`;

    test("a pass deletes the zips no version references once the grace period is over, and keeps the others", async () => {
      const gc = await collector({ now: later });
      const [used] = await fnWith(name("kept"), [randomBytes(100)]);
      const orphan = (await parts.store.put(randomBytes(200))).sha256;
      const report = await gc.collect();
      assert.ok(report.deleted.includes(orphan), `deleted ${report.deleted.join(", ")}`);
      assert.ok(!report.deleted.includes(used));
      assert.equal(await parts.store.has(orphan), false);
      assert.equal(await parts.store.has(used), true);
      await stop(gc);
    });

    test("an unreferenced zip younger than the grace period is kept: its version may not be committed yet", async () => {
      const gc = await collector(); // the real clock: everything just put is young
      const fresh = (await parts.store.put(randomBytes(300))).sha256;
      const report = await gc.collect();
      assert.ok(!report.deleted.includes(fresh));
      assert.ok(report.young >= 1, `young ${report.young}`);
      assert.equal(await parts.store.has(fresh), true);
      await stop(gc);
    });

    test("a zip that a version starts referencing after the pass read the references is kept", async () => {
      const fn = name("late");
      await fnWith(fn, []);
      const racing = await parts.store.put(randomBytes(400));
      const gc = await collector({
        now: later,
        versions: {
          referencesCode: (sha) => parts.repos.versions.referencesCode(sha),
          // The snapshot is taken, then a publish commits before the deletes.
          referencedCode: async () => {
            const snapshot = await parts.repos.versions.referencedCode();
            await parts.repos.versions.publish(fn, { codeSha256: racing.sha256, codeSize: racing.size, codeLocation: racing.location });
            return snapshot;
          },
        },
      });
      const report = await gc.collect();
      assert.ok(!report.deleted.includes(racing.sha256));
      assert.equal(await parts.store.has(racing.sha256), true);
      await stop(gc);
    });

    test("deleting a function deletes its zips at once, except one another function's version shares", async () => {
      const gc = await collector({ now: later });
      const functions = new FunctionService(parts.repos, routing, gc);
      const shared = randomBytes(500);
      const a = name("a");
      const b = name("b");
      const [own, sharedSha] = await fnWith(a, [randomBytes(600), shared]);
      await fnWith(b, [shared]);
      await functions.delete(a, actor);
      assert.equal(await parts.store.has(own), false, "the zip only the deleted function used is gone");
      assert.equal(await parts.store.has(sharedSha), true, "the zip another function's version uses stays");
      await functions.delete(b, actor);
      assert.equal(await parts.store.has(sharedSha), false, "and goes with the last function using it");
      await stop(gc);
    });

    test("a deleted function's zip still within the grace period is left to a later pass", async () => {
      const gc = await collector();
      const functions = new FunctionService(parts.repos, routing, gc);
      const fn = name("young");
      const [sha] = await fnWith(fn, [randomBytes(700)]);
      await functions.delete(fn, actor);
      assert.equal(await parts.store.has(sha), true);
      await stop(gc);
      const afterGrace = await collector({ now: later });
      assert.ok((await afterGrace.collect()).deleted.includes(sha));
      assert.equal(await parts.store.has(sha), false);
      await stop(afterGrace);
    });

    test("only the lease holder collects; the standby takes over when the holder stops", async () => {
      const leader = await collector({ holder: "leader", now: later });
      const standby = await collector({ holder: "standby", now: later, intervalMs: 30 });
      const orphan = (await parts.store.put(randomBytes(800))).sha256;
      assert.deepEqual((await standby.collect()).deleted, [], "the standby does nothing while the leader holds the lease");
      assert.equal(await parts.store.has(orphan), true);
      await stop(leader);
      // The standby's own timer runs the pass once it holds the lease.
      await waitFor("the standby collected the orphan", async () => !(await parts.store.has(orphan)), { timeoutMs: 5_000 });
      await stop(standby);
    });
  });
}
