import assert from "node:assert/strict";
import { after, test } from "node:test";
import { HEARTBEAT_CHANNEL } from "../../../protocol/fleet.ts";
import { heartbeatJson } from "../../../tests/support/heartbeat.ts";
import { openHeartbeat, signHeartbeat } from "../../../protocol/heartbeat-signature.ts";
import { MemoryStateStore } from "../../../shared/state/memory-state-store.ts";
import { waitFor } from "../../../tests/support/wait-for.ts";
import { RunnerRegistry } from "./runner-registry.ts";

const SECRET = "cluster-secret-for-tests-0123";
const state = new MemoryStateStore();
after(() => state.close());

const beat = heartbeatJson;

test("a heartbeat opens only under the secret it was signed with, and not once its JSON is changed", () => {
  const json = beat();
  assert.deepEqual(openHeartbeat(signHeartbeat(json, SECRET), SECRET), { ok: true, json });
  assert.equal(openHeartbeat(json, SECRET).ok, false);
  assert.equal(openHeartbeat(signHeartbeat(json, "another-secret-0123456"), SECRET).ok, false);
  const tampered = signHeartbeat(json, SECRET).replace("127.0.0.1:9001", "203.0.113.7:80");
  assert.equal(openHeartbeat(tampered, SECRET).ok, false);
  assert.equal(openHeartbeat("v1.zz", SECRET).ok, false);
});

test("the registry ignores unsigned and forged heartbeats with a warning, and follows signed ones", async () => {
  const warnings: Array<{ reason: string }> = [];
  const registry = new RunnerRegistry(state, { secret: SECRET, log: { info: () => {}, warn: (o) => warnings.push(o as { reason: string }) } });
  await registry.start();
  try {
    // A writer without the secret tries to take every invocation.
    await state.publish(HEARTBEAT_CHANNEL, beat({ id: "evil", address: "http://203.0.113.7:80" }));
    await state.publish(HEARTBEAT_CHANNEL, signHeartbeat(beat({ id: "evil2", address: "http://203.0.113.7:80" }), "a-guessed-secret-0123456"));
    await state.publish(HEARTBEAT_CHANNEL, signHeartbeat(beat(), SECRET));
    await waitFor("the signed runner to join", () => registry.get("r1"), { timeoutMs: 2000 });
    assert.equal(registry.get("evil"), undefined);
    assert.equal(registry.get("evil2"), undefined);
    assert.deepEqual(registry.live().map((r) => r.id), ["r1"]);
    assert.equal(warnings.length, 2, "one warning per kind of untrusted heartbeat");
    // A forged beat for the real runner's id cannot move it to another address.
    await state.publish(HEARTBEAT_CHANNEL, beat({ seq: 2, bootId: "boot-2", address: "http://203.0.113.7:80" }));
    await state.publish(HEARTBEAT_CHANNEL, signHeartbeat(beat({ seq: 3 }), SECRET));
    await waitFor("the next signed beat", () => registry.get("r1")!.hb.seq === 3, { timeoutMs: 2000 });
    assert.equal(registry.get("r1")!.hb.address, "http://127.0.0.1:9001");
  } finally {
    await registry.stop();
  }
});
