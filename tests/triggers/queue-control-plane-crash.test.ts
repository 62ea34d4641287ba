/**
 * Chaos: a control plane killed with SIGKILL while Queue trigger batches run on it. Two `hotswap
 * server` processes share Postgres, Redis and S3, and both consume the trigger (consumer groups
 * share the work; on NATS JetStream, one durable consumer); one is killed mid-flight. For Redis
 * Streams, RabbitMQ and NATS JetStream every message still ends processed or dead-lettered, none is
 * lost, and the test prints how many ran more than once (the at-least-once duplicates around the
 * crash: on NATS the killed replica's unacked messages come back after the ack wait).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { chmod, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { QueueTriggerConfig } from "../../protocol/api/triggers.ts";
import { generateApiKey } from "../../platform/src/auth/api-key.ts";
import { startServer, stopAll, type ServerProcess } from "../support/cli.ts";
import { apiClient, type TestPlatform } from "../support/platform.ts";
import { FAST_QUEUE_ENV, QUEUE_BROKERS } from "../support/queue-brokers.ts";
import { createTestDatabase, serviceSkipReason, sharedServersEnv, startS3Server, uniquePrefix } from "../support/services.ts";
import { waitFor } from "../support/wait-for.ts";
import { zipFiles } from "../support/zip.ts";
import { deployInline } from "../async/support.ts";

const MESSAGES = 30;

/** Works on each batch for a while, then leaves a mark `<body>.<receive count>.<random>` per message in RUNS_DIR. */
const MARKS_DONE = `const fs = require("fs"); const path = require("path");
exports.handler = async (event) => {
  await new Promise((r) => setTimeout(r, 300));
  for (const r of event.Records) fs.writeFileSync(path.join(process.env.RUNS_DIR, r.body + "." + r.attributes.ApproximateReceiveCount + "." + Math.random().toString(36).slice(2)), "");
  return {};
};`;

for (const source of ["redis", "rabbitmq", "nats"] as const) {
  test(`${source}: a control plane killed with queue batches in flight loses no message`, { timeout: 240_000 }, async (t) => {
    const skip = (await serviceSkipReason("postgres")) ?? (await serviceSkipReason("redis")) ?? (await serviceSkipReason(source));
    if (skip) return t.skip(skip);
    const db = await createTestDatabase();
    const s3 = await startS3Server();
    const runs = await mkdtemp(join(tmpdir(), "hs-qcrash-runs-"));
    await chmod(runs, 0o777); // sandboxed instances run as their own uid
    const broker = QUEUE_BROKERS[source];
    const names = broker.names();
    const config = QueueTriggerConfig.parse({ source, ...names.queue, batchSize: 2, maxConcurrency: 4, maxReceiveCount: 8, deadLetter: names.deadLetter });
    const { key } = generateApiKey();
    const prefix = uniquePrefix("qcrash");
    const dirs: string[] = [];
    const servers: ServerProcess[] = [];
    const start = async (): Promise<TestPlatform> => {
      const dataDir = await mkdtemp(join(tmpdir(), "hs-qcrash-cp-"));
      dirs.push(dataDir);
      const s = await startServer({ ...sharedServersEnv({ dataDir, adminKey: key, databaseUrl: db.url, redisPrefix: prefix, s3 }), ...FAST_QUEUE_ENV, RUNNER_ID: `qcrash-${servers.length}` });
      servers.push(s);
      return { url: s.url, key, server: undefined as never, close: async () => {}, api: apiClient(s.url, key) };
    };
    let triggerId = "";
    try {
      const a = await start();
      const b = await start();
      await deployInline(a, "qcrash", MARKS_DONE);
      // Version 2 carries RUNS_DIR (configuration takes effect in the next version).
      assert.equal((await a.api("PUT", "/api/v1/functions/qcrash", { environment: { RUNS_DIR: runs } })).status, 200);
      assert.equal((await a.api("POST", "/api/v1/functions/qcrash/versions", zipFiles({ "index.js": MARKS_DONE }), { "content-type": "application/zip" })).status, 201);
      const created = await a.api("POST", "/api/v1/triggers", { functionName: "qcrash", qualifier: "2", type: "Queue", config });
      assert.equal(created.status, 201, created.text);
      triggerId = created.json.triggerId as string;
      // Both replicas consume before the messages arrive (B learns of the trigger by broadcast or its refresh).
      await new Promise((r) => setTimeout(r, 1500));

      const bodies = Array.from({ length: MESSAGES }, (_, i) => `m${i}`);
      await broker.publish(config, bodies.map((body) => ({ body })));
      await waitFor("batches running", async () => (await readdir(runs)).length >= 4, { timeoutMs: 60_000 });
      servers[0]!.child.kill("SIGKILL");
      await servers[0]!.exited;

      const settled = await waitFor(
        "every message processed or dead-lettered by the survivor",
        async () => {
          const done = new Set((await readdir(runs)).map((m) => m.split(".")[0]!));
          const dead = new Set((await broker.deadLetters(config)).map((d) => d.body));
          const unsettled = await broker.unsettled(config, triggerId);
          return { ok: bodies.every((x) => done.has(x) || dead.has(x)) && unsettled === 0, done, dead, unsettled };
        },
        {
          until: (v) => v.ok,
          timeoutMs: 150_000,
          intervalMs: 250,
          show: (v) => (v ? `processed ${v.done.size}/${MESSAGES}, dead-lettered ${v.dead.size}, unsettled on the broker ${v.unsettled}` : "no check finished"),
        },
      );
      const marks = await readdir(runs);
      const perMessage = new Map<string, number>();
      for (const m of marks) perMessage.set(m.split(".")[0]!, (perMessage.get(m.split(".")[0]!) ?? 0) + 1);
      const twice = [...perMessage.values()].filter((n) => n > 1).length;
      console.log(
        `${source}: control plane killed with queue batches in flight: ${MESSAGES} messages, ${settled.done.size} processed, ${settled.dead.size} dead-lettered, ${marks.length} completed runs, ${twice} processed more than once (duplicates)`,
      );
      assert.deepEqual(bodies.filter((x) => !settled.done.has(x) && !settled.dead.has(x)), [], "no message is lost");
      assert.equal(settled.dead.size, 0, "with eight receives allowed, the survivor processes every message");
    } finally {
      await stopAll(servers);
      await broker.remove(config, triggerId).catch(() => {});
      await broker.close();
      await s3.close();
      await db.drop();
      for (const d of [...dirs, runs]) await rm(d, { recursive: true, force: true });
    }
  });
}
