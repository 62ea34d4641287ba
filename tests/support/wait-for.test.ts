/**
 * waitFor: returns the first truthy (or accepted) value of a sync or async check, retries
 * not-yet values and errors, and fails at the deadline naming what it waited for and the last
 * value or error seen; a hung check cannot outlive the deadline.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { waitFor, WaitForTimeoutError } from "./wait-for.ts";

/** The rejection of `p`, failing the test if it resolves. */
async function rejection(p: Promise<unknown>): Promise<WaitForTimeoutError> {
  const err = await p.then(
    (v) => assert.fail(`resolved with ${JSON.stringify(v)}`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof WaitForTimeoutError, `a WaitForTimeoutError, got ${String(err)}`);
  return err;
}

test("returns a synchronous check's truthy value on the first call without waiting", async () => {
  let calls = 0;
  const got = await waitFor("a ready value", () => (++calls, { ready: true }));
  assert.deepEqual(got, { ready: true });
  assert.equal(calls, 1);
});

test("polls an async check every intervalMs until it returns a truthy value, and returns that value", async () => {
  let calls = 0;
  const t0 = Date.now();
  const got = await waitFor("the third call", async () => (++calls >= 3 ? `call ${calls}` : undefined), { intervalMs: 30 });
  assert.equal(got, "call 3");
  assert.equal(calls, 3);
  assert.ok(Date.now() - t0 >= 55, `two intervals of 30 ms passed, took ${Date.now() - t0} ms`);
});

test("treats false, 0, the empty string, null and undefined as not yet", async () => {
  const values: unknown[] = [false, 0, "", null, undefined, "done"];
  let i = 0;
  assert.equal(await waitFor("a truthy value", () => values[i++], { intervalMs: 1 }), "done");
  assert.equal(i, values.length);
});

test("with until, waits for a value it accepts and returns the whole value", async () => {
  const stats = { inflight: 0 };
  const timer = setInterval(() => stats.inflight++, 5);
  try {
    const got = await waitFor("3 invocations in flight", () => ({ ...stats }), { until: (s) => s.inflight >= 3, intervalMs: 2 });
    assert.ok(got.inflight >= 3);
  } finally {
    clearInterval(timer);
  }
});

test("times out after timeoutMs naming what it waited for and the last value the check returned", async () => {
  let calls = 0;
  const t0 = Date.now();
  const err = await rejection(
    waitFor("5 invocations in flight", () => (calls++, { inflight: 4, queued: 1 }), { until: (s) => s.inflight === 5, timeoutMs: 100, intervalMs: 10 }),
  );
  const took = Date.now() - t0;
  assert.equal(err.what, "5 invocations in flight");
  assert.equal(err.message, "timed out after 100 ms waiting for 5 invocations in flight; last value: { inflight: 4, queued: 1 }");
  assert.ok(took >= 95 && took < 1000, `bounded by the deadline: ${took} ms`);
  assert.ok(calls >= 3, `kept polling until the deadline: ${calls} calls`);
});

test("a predicate that never holds times out with its last value", async () => {
  const err = await rejection(waitFor("never", () => false, { timeoutMs: 30, intervalMs: 5 }));
  assert.equal(err.message, "timed out after 30 ms waiting for never; last value: false");
});

test("retries a check that throws, and returns once it recovers", async () => {
  let calls = 0;
  const got = await waitFor("a check that recovers", () => {
    if (++calls < 3) throw new Error(`not listening (${calls})`);
    return calls;
  }, { intervalMs: 1 });
  assert.equal(got, 3);
});

test("times out with the last error when the check keeps throwing, and keeps it as the cause", async () => {
  const refused = new Error("connect ECONNREFUSED 127.0.0.1:8080");
  const err = await rejection(
    waitFor("GET /health to answer 200", async () => {
      throw refused;
    }, { timeoutMs: 50, intervalMs: 10 }),
  );
  assert.equal(err.message, "timed out after 50 ms waiting for GET /health to answer 200; last error: connect ECONNREFUSED 127.0.0.1:8080");
  assert.equal(err.cause, refused);
});

test("reports whatever the last call said: a value after an error replaces it", async () => {
  let calls = 0;
  const err = await rejection(
    waitFor("a getter that stops throwing", () => {
      if (++calls === 1) throw new Error("first call fails");
      return 0;
    }, { timeoutMs: 40, intervalMs: 5 }),
  );
  assert.ok(calls >= 2);
  assert.match(err.message, /; last value: 0$/);
  assert.equal(err.cause, undefined);
});

test("with retryErrors false, an error from the check ends the wait at once and is rethrown as is", async () => {
  const exited = new Error("the server exited with code 1");
  let calls = 0;
  const t0 = Date.now();
  await assert.rejects(
    waitFor("the server to print its URL", () => {
      calls++;
      throw exited;
    }, { timeoutMs: 5000, retryErrors: false }),
    (err: unknown) => err === exited,
  );
  assert.equal(calls, 1);
  assert.ok(Date.now() - t0 < 1000, `failed at once, took ${Date.now() - t0} ms`);
});

test("a check still running at the deadline fails the wait instead of hanging it", async () => {
  const t0 = Date.now();
  const err = await rejection(waitFor("a check that never settles", () => new Promise<boolean>(() => {}), { timeoutMs: 80 }));
  const took = Date.now() - t0;
  assert.equal(err.message, "timed out after 80 ms waiting for a check that never settles; the last check was still running at the deadline");
  assert.ok(took >= 75 && took < 1000, `bounded: ${took} ms`);
});

test("show formats the last value in the timeout error", async () => {
  const deployment = { id: "d-1", status: "InProgress", events: [{ type: "Shifted", reason: "10%" }] };
  const err = await rejection(
    waitFor("deployment d-1 to succeed", () => deployment, {
      until: (d) => d.status === "Succeeded",
      timeoutMs: 20,
      show: (d) => `${d.status}, events ${d.events.map((e) => `${e.type}: ${e.reason}`).join("; ")}`,
    }),
  );
  assert.match(err.message, /waiting for deployment d-1 to succeed; last value: InProgress, events Shifted: 10%$/);
});

test("shortens a huge last value to 2,000 characters", async () => {
  const err = await rejection(waitFor("a short list", () => "x".repeat(10_000), { until: (s) => s.length < 10, timeoutMs: 10 }));
  const shown = err.message.slice(err.message.indexOf("last value: ") + "last value: ".length);
  assert.equal(shown.length, 2001);
  assert.ok(shown.endsWith("…"));
});

test("an until that throws counts as a failed check", async () => {
  const err = await rejection(
    waitFor("a parsed body", () => "not json", { until: (text) => JSON.parse(text) !== undefined, timeoutMs: 20, intervalMs: 5 }),
  );
  assert.match(err.message, /; last error: .*JSON/);
});
