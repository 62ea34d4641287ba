/**
 * One instance's log on real streams: tags are trusted only for invocations in flight on that
 * instance, untagged lines go to the single one in flight, framing lines come in order, flood
 * output is dropped behind a marker while the stream keeps draining, and tails are kept.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import type { FunctionLogRecord } from "../../../protocol/function-logs.ts";
import { functionSpec } from "../../../tests/support/function-spec.ts";
import { InstanceLog } from "./instance-log.ts";
import { tagLine } from "./log-tag.ts";

function setup(limits = { rateBytes: 1024 * 1024, burstBytes: 2 * 1024 * 1024 }) {
  const records: FunctionLogRecord[] = [];
  const stderr: string[] = [];
  const spec = functionSpec({ functionName: "fn", version: 3, memorySize: 256 });
  const log = new InstanceLog({
    instanceId: "i-1",
    output: { sink: { write: (r) => records.push(...r) }, limits },
    spec: () => spec,
    onStderr: (m) => stderr.push(m),
    settleMs: 0,
    maxMemoryUsedBytes: () => 50 * 1024 * 1024,
  });
  const out = new PassThrough();
  const err = new PassThrough();
  const done = Promise.all([log.read(out, "stdout"), log.read(err, "stderr")]);
  const tick = () => new Promise((r) => setImmediate(r));
  return { log, records, stderr, out, err, done, tick };
}

const view = (rs: FunctionLogRecord[]) => rs.map((r) => `${r.requestId ?? "-"}|${r.stream}|${r.message}`);

test("a tag naming an invocation in flight here (or just ended here) is kept; a foreign tag is not trusted", async () => {
  const { log, records, out, err, done, tick } = setup();
  const a = log.begin("A", { tail: false });
  const b = log.begin("B", { tail: false });
  out.write(`${tagLine("A", "from a")}\n${tagLine("B", "from b")}\n${tagLine("Z", "forged")}\nplain\n`);
  err.write(`${tagLine("B", "err b")}\n`);
  await tick();
  await a.end({ durationMs: 1 });
  // A is over: its late line (written before its result, read after END) keeps A's id rather
  // than landing on B; an untagged line goes to the only invocation left (B).
  out.write(`${tagLine("A", "late a")}\nuntagged\n`);
  await tick();
  await b.end({ durationMs: 1 });
  out.end();
  err.end();
  await done;
  assert.deepEqual(view(records), [
    "A|platform|START RequestId: A Version: 3",
    "B|platform|START RequestId: B Version: 3",
    "A|stdout|from a",
    "B|stdout|from b",
    "-|stdout|forged",
    "-|stdout|plain",
    "B|stderr|err b",
    "A|platform|END RequestId: A",
    "A|platform|REPORT RequestId: A\tDuration: 1.00 ms\tBilled Duration: 1 ms\tMemory Size: 256 MB\tMax Memory Used: 50 MB",
    "A|stdout|late a",
    "B|stdout|untagged",
    "B|platform|END RequestId: B",
    "B|platform|REPORT RequestId: B\tDuration: 1.00 ms\tBilled Duration: 1 ms\tMemory Size: 256 MB\tMax Memory Used: 50 MB",
  ]);
  assert.ok(records.every((r) => r.functionName === "fn" && r.version === 3 && r.instanceId === "i-1"));
});

test("untagged lines go to the single invocation in flight, and to none between invocations", async () => {
  const { log, records, out, err, done, tick } = setup();
  out.write("before\n");
  await tick();
  const a = log.begin("A", { tail: false });
  out.write("during\n");
  await tick();
  await a.end({ durationMs: 2, initMs: 100 });
  out.write("after\n");
  out.end();
  err.end();
  await done;
  assert.deepEqual(view(records).filter((l) => !l.includes("|platform|")), ["-|stdout|before", "A|stdout|during", "-|stdout|after"]);
  assert.match(records.find((r) => r.message.startsWith("REPORT"))!.message, /\tInit Duration: 100\.00 ms$/);
});

test("the stderr tail gets every stderr line without its tag; a stem's lines are not records", async () => {
  const records: FunctionLogRecord[] = [];
  const stderr: string[] = [];
  let spec: ReturnType<typeof functionSpec> | undefined;
  const log = new InstanceLog({
    instanceId: "stem",
    output: { sink: { write: (r) => records.push(...r) } },
    spec: () => spec,
    onStderr: (m) => stderr.push(m),
    settleMs: 0,
    maxMemoryUsedBytes: () => undefined,
  });
  const err = new PassThrough();
  const done = log.read(err, "stderr");
  err.write("stem warming up\n");
  await new Promise((r) => setImmediate(r));
  spec = functionSpec();
  err.end(`${tagLine("x", "tagged")}\n`);
  await done;
  assert.deepEqual(stderr, ["stem warming up", "tagged"]);
  assert.deepEqual(view(records), ["-|stderr|tagged"]);
});

test("a notice and the truncation marker come before END; the tail holds the invocation's own lines", async () => {
  const { log, records, out, err, done } = setup({ rateBytes: 1024, burstBytes: 64 * 1024 });
  const a = log.begin("A", { tail: true });
  out.write(`${tagLine("A", "kept")}\n`);
  out.write(Buffer.alloc(200 * 1024, 0x61)); // over the burst: most of it is dropped
  const tail = await a.end({ durationMs: 5, notice: "Task timed out after 3.00 seconds" });
  out.end();
  err.end();
  await done;
  const lines = view(records);
  const marker = lines.findIndex((l) => /bytes of log output dropped: the function wrote more than 1 KiB\/s/.test(l));
  const notice = lines.indexOf("A|platform|Task timed out after 3.00 seconds");
  const end = lines.indexOf("A|platform|END RequestId: A");
  assert.ok(marker >= 0 && notice >= 0 && end >= 0, lines.join("\n").slice(0, 2000));
  assert.ok(notice < end && marker < end);
  assert.ok(tail !== undefined);
  assert.ok(tail.startsWith("START RequestId: A Version: 3\nkept\n") || tail.includes("REPORT RequestId: A"), tail.slice(0, 200));
  assert.ok(tail.endsWith("\n") && /END RequestId: A\nREPORT RequestId: A\t[^\n]*\n$/.test(tail));
  assert.ok(Buffer.byteLength(tail) <= 4096);
  const stdoutBytes = records.filter((r) => r.stream === "stdout").reduce((n, r) => n + Buffer.byteLength(r.message) + 1, 0);
  assert.ok(stdoutBytes <= 64 * 1024 + 1024, `kept ${stdoutBytes} bytes of a 200 KiB flood`);
});

test("an abandoned invocation gets no END or REPORT", async () => {
  const { log, records, out, err, done } = setup();
  const a = log.begin("A", { tail: false });
  a.abandon();
  out.end("stray\n");
  err.end();
  await done;
  assert.deepEqual(view(records), ["A|platform|START RequestId: A Version: 3", "-|stdout|stray"]);
});
