/**
 * Runs the state contract against the Redis adapter on a real server (TEST_REDIS_URL), each test under
 * its own key prefix, plus Redis-only behaviour: failing fast when the server is unreachable, prefix
 * isolation, and blocking reads that do not stall other commands.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { Redis } from "ioredis";
import { TEST_REDIS_URL, serviceSkipReason, uniquePrefix } from "../../tests/support/services.ts";
import { createStateStore } from "./index.ts";
import { RedisStateStore } from "./redis-state-store.ts";
import { delay, inbox, runStateStoreContract } from "./state-store.contract.ts";

const skip = await serviceSkipReason("redis", TEST_REDIS_URL);

/** Delete every key under `prefix` with a connection of its own (the store may already be closed). */
async function deleteKeys(prefix: string): Promise<void> {
  const admin = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    let cursor = "0";
    do {
      const [next, keys] = await admin.scan(cursor, "MATCH", `${prefix.replace(/[*?[\]\\]/g, "\\$&")}*`, "COUNT", 500);
      cursor = next;
      if (keys.length > 0) await admin.del(...keys);
    } while (cursor !== "0");
  } finally {
    admin.disconnect();
  }
}

/** A loopback port nothing listens on. */
async function unusedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

runStateStoreContract(
  "redis",
  async () => {
    const keyPrefix = uniquePrefix("state");
    return { store: new RedisStateStore({ url: TEST_REDIS_URL, keyPrefix }), cleanup: () => deleteKeys(keyPrefix) };
  },
  { skip },
);

describe("RedisStateStore when Redis is unreachable", () => {
  let url: string;
  before(async () => {
    url = `redis://:s3cret-pw@127.0.0.1:${await unusedPort()}`;
  });

  test("ping rejects within about 2 s, naming Redis and the host but not the password", async () => {
    const store = new RedisStateStore({ url });
    const started = Date.now();
    try {
      const err: Error = await store.ping().then(
        () => assert.fail("ping should reject"),
        (e: Error) => e,
      );
      assert.ok(Date.now() - started < 2500, `took ${Date.now() - started} ms`);
      assert.match(err.message, /Redis at 127\.0\.0\.1:\d+/);
      assert.doesNotMatch(err.message, /s3cret-pw/);
    } finally {
      await store.close();
    }
  });

  test("commands reject instead of hanging", async () => {
    const store = new RedisStateStore({ url });
    try {
      await assert.rejects(store.get("k"), /Redis at 127\.0\.0\.1/);
      await assert.rejects(store.readGroup("q", "g", "c", { blockMs: 100 }), /Redis at 127\.0\.0\.1/);
    } finally {
      await store.close();
    }
  });

  test("createStateStore rejects with a message that says what to check", async () => {
    await assert.rejects(createStateStore({ kind: "redis", url }), (err: Error) => {
      assert.match(err.message, /Redis at 127\.0\.0\.1:\d+/);
      assert.match(err.message, /REDIS_URL/);
      assert.doesNotMatch(err.message, /s3cret-pw/);
      return true;
    });
  });

  test("an invalid URL is rejected without echoing it", () => {
    assert.throws(() => new RedisStateStore({ url: "not a url with s3cret-pw" }), (err: Error) => {
      assert.doesNotMatch(err.message, /s3cret-pw/);
      return true;
    });
  });
});

describe("RedisStateStore on a live server", { skip }, () => {
  const prefixes: string[] = [];
  const stores: RedisStateStore[] = [];
  const open = (keyPrefix = uniquePrefix("state")) => {
    prefixes.push(keyPrefix);
    const store = new RedisStateStore({ url: TEST_REDIS_URL, keyPrefix });
    stores.push(store);
    return store;
  };
  after(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await Promise.all(prefixes.map(deleteKeys));
  });

  test("createStateStore connects and returns a redis store", async () => {
    const store = await createStateStore({ kind: "redis", url: TEST_REDIS_URL, keyPrefix: uniquePrefix("state") });
    try {
      assert.equal(store.kind, "redis");
    } finally {
      await store.close();
    }
  });

  test("keyPrefix is applied to keys and channels, isolating stores on one server", async () => {
    const prefix = uniquePrefix("state");
    const a = open(prefix);
    const b = open();
    await a.set("k", "from-a");
    assert.equal(await b.get("k"), null);
    const raw = new Redis(TEST_REDIS_URL);
    try {
      assert.equal(await raw.get(`${prefix}k`), "from-a");
    } finally {
      raw.disconnect();
    }
    const heardByB = inbox();
    const heardByA = inbox();
    await b.subscribe("ch", heardByB.handler);
    await a.subscribe("ch", heardByA.handler);
    await a.publish("ch", "a-only");
    await heardByA.until(1);
    await b.publish("ch", "b-only");
    assert.deepEqual(await heardByB.until(1), ["b-only"]);
    assert.deepEqual(heardByA.received, ["a-only"]);
  });

  test("a blocked readGroup does not stall other commands on the same store", async () => {
    const s = open();
    await s.createGroup("q", "g");
    const read = s.readGroup("q", "g", "c", { blockMs: 3000 });
    await delay(50);
    const started = Date.now();
    await s.set("k", "v");
    assert.equal(await s.get("k"), "v");
    assert.ok(Date.now() - started < 500, `commands took ${Date.now() - started} ms behind the blocked read`);
    const id = await s.xadd("q", { n: "1" });
    assert.deepEqual((await read).map((e) => e.id), [id]);
  });

  test("concurrent blocked readers each get their own connection", async () => {
    const s = open();
    await s.createGroup("q", "g");
    const reads = ["a", "b", "c"].map((c) => s.readGroup("q", "g", c, { blockMs: 3000 }));
    await delay(50);
    const ids = [await s.xadd("q", { n: "1" }), await s.xadd("q", { n: "2" }), await s.xadd("q", { n: "3" })];
    const got = (await Promise.all(reads)).flat().map((e) => e.id);
    assert.deepEqual(got.sort(), ids.sort());
  });
});
