/**
 * Chaos: a `hotswap runner` process is killed with SIGKILL while a Queue trigger's batches run on
 * it (a control plane in fleet mode, two runners, a Redis Streams queue). Batches that were on the
 * dead runner fail (the runner is lost) and their messages are delivered again; every message ends
 * processed (the function finished it) or in the dead-letter stream, none is lost, and the test
 * prints how many ran more than once (the at-least-once duplicates around the crash).
 */
import assert from "node:assert/strict";
import { chmod, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { QueueTriggerConfig } from "../../protocol/api/triggers.ts";
import { startCluster, fleetSkipReason } from "../fleet/support/cluster.ts";
import { QUEUE_BROKERS } from "../support/queue-brokers.ts";
import type { TestPlatform } from "../support/platform.ts";
import { waitFor } from "../support/wait-for.ts";
import { zipFiles } from "../support/zip.ts";
import { deployInline } from "../async/support.ts";

const MESSAGES = 40;

/** Works on each message for a while, then leaves a mark `<body>.<receive count>.<random>` in RUNS_DIR. */
const MARKS_DONE = `const fs = require("fs"); const path = require("path");
exports.handler = async (event) => {
  await new Promise((r) => setTimeout(r, 250));
  for (const r of event.Records) fs.writeFileSync(path.join(process.env.RUNS_DIR, r.body + "." + r.attributes.ApproximateReceiveCount + "." + Math.random().toString(36).slice(2)), "");
  return {};
};`;

test("a runner killed with queue batches in flight loses no message: each ends processed or dead-lettered", { timeout: 240_000 }, async (t) => {
  const skip = await fleetSkipReason();
  if (skip) return t.skip(skip);
  const runs = await mkdtemp(join(tmpdir(), "hs-queue-runs-"));
  await chmod(runs, 0o777); // sandboxed instances run as their own uid
  const cluster = await startCluster({ runners: 2, controlPlaneEnv: { HOTSWAP_QUEUE_RETRY_DELAY: "PT0.2S", HOTSWAP_QUEUE_STALE_AFTER: "PT2S" } });
  const broker = QUEUE_BROKERS.redis;
  const names = broker.names();
  const config = QueueTriggerConfig.parse({ source: "redis", ...names.queue, batchSize: 2, maxConcurrency: 4, maxReceiveCount: 8, deadLetter: names.deadLetter });
  try {
    const cp = cluster.cp as unknown as TestPlatform;
    await deployInline(cp, "chaosq", MARKS_DONE);
    // Version 2 carries RUNS_DIR (configuration takes effect in the next version).
    assert.equal((await cp.api("PUT", "/api/v1/functions/chaosq", { environment: { RUNS_DIR: runs } })).status, 200);
    assert.equal((await cp.api("POST", "/api/v1/functions/chaosq/versions", zipFiles({ "index.js": MARKS_DONE }), { "content-type": "application/zip" })).status, 201);
    const created = await cp.api("POST", "/api/v1/triggers", { functionName: "chaosq", qualifier: "2", type: "Queue", config });
    assert.equal(created.status, 201, created.text);
    const triggerId = created.json.triggerId as string;

    const bodies = Array.from({ length: MESSAGES }, (_, i) => `m${i}`);
    await broker.publish(config, bodies.map((body) => ({ body })));
    await waitFor("batches running on both runners", async () => (await readdir(runs)).length >= 6, { timeoutMs: 60_000 });
    const victim = cluster.runners[0]!;
    victim.child.kill("SIGKILL");
    await victim.exited;

    const settled = await waitFor(
      "every message processed or dead-lettered",
      async () => {
        const done = new Set((await readdir(runs)).map((m) => m.split(".")[0]!));
        const dead = new Set((await broker.deadLetters(config)).map((d) => d.body));
        return bodies.every((b) => done.has(b) || dead.has(b)) && (await broker.unsettled(config, triggerId)) === 0 ? { done, dead } : undefined;
      },
      { timeoutMs: 150_000, intervalMs: 250 },
    );
    const marks = await readdir(runs);
    const perMessage = new Map<string, number>();
    for (const m of marks) perMessage.set(m.split(".")[0]!, (perMessage.get(m.split(".")[0]!) ?? 0) + 1);
    const twice = [...perMessage.values()].filter((n) => n > 1).length;
    const redelivered = marks.filter((m) => m.split(".")[1] !== "1").length;
    console.log(
      `runner killed with queue batches in flight: ${MESSAGES} messages, ${settled.done.size} processed, ${settled.dead.size} dead-lettered, ${marks.length} completed runs, ${twice} messages processed more than once (duplicates), ${redelivered} runs were redeliveries`,
    );
    assert.deepEqual(bodies.filter((b) => !settled.done.has(b) && !settled.dead.has(b)), [], "no message is lost");
    assert.equal(settled.dead.size, 0, "with eight receives allowed, the survivor processes every message");
  } finally {
    await cluster.close();
    await broker.remove(config, "");
    await broker.close();
    await rm(runs, { recursive: true, force: true });
  }
});
