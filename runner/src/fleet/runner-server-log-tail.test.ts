/**
 * LogType: Tail through a real `hotswap runner` HTTP server in front of a real runner node (process
 * backend, real Node bootstrap): the request header asks for the tail, the reply header carries
 * it base64, decodeReply() reads it back. The node's composition ships the same lines to the
 * state store it was given, and close() flushes them.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HEADER_REQUEST_ID } from "../../../protocol/headers.ts";
import { decodeReply, encodeSpec, HEADER_CLUSTER_SECRET, HEADER_LOG_RESULT, HEADER_LOG_TAIL, HEADER_SPEC, RUNNER_PATH_INVOKE } from "../../../protocol/fleet.ts";
import { FUNCTION_LOGS_STREAM, type FunctionLogRecord } from "../../../protocol/function-logs.ts";
import { recordsOfRows } from "../../../protocol/function-log-rows.ts";
import { FsCodeStore } from "../../../shared/code-store/fs-code-store.ts";
import { createLogger } from "../../../shared/logger.ts";
import { MemoryStateStore } from "../../../shared/state/memory-state-store.ts";
import { functionSpec } from "../../../tests/support/function-spec.ts";
import { zipFixture } from "../../../tests/support/zip.ts";
import { removeTree } from "../code-cache/code-cache.ts";
import { loadRunnerConfig } from "../config.ts";
import { startRunnerNode } from "../runner-node.ts";
import { RunnerServer } from "./runner-server.ts";

const SECRET = "a-cluster-secret-of-some-length";

test("the fleet protocol returns the invocation's log tail when asked, and the node ships its lines", async () => {
  const root = await mkdtemp(join(tmpdir(), "hs-log-tail-"));
  const store = new FsCodeStore(join(root, "store"));
  await store.init();
  const state = new MemoryStateStore();
  const config = loadRunnerConfig({ HOTSWAP_DATA_DIR: root }, { hostname: "tail-host", mode: "embedded" });
  const node = await startRunnerNode(config, { codeStore: store, log: createLogger("silent"), state });
  const server = new RunnerServer({
    id: "tail-runner",
    secret: SECRET,
    log: { warn() {} },
    target: { invoke: (r) => node.invoke(r), freeSlots: (s) => node.freeSlots(s), runtimes: () => node.runtimes(), provision: (r) => node.provision(r), heartbeat: () => ({}) as never, ready: () => true },
  });
  const { port } = await server.listen("127.0.0.1", 0);
  try {
    const { sha256 } = await store.put(zipFixture("node-log-mix"));
    const spec = functionSpec({ functionName: "node-log-mix", version: 4, codeSha256: sha256, timeout: 10 });
    const call = async (requestId: string, tail: boolean) => {
      const headers: Record<string, string> = { [HEADER_CLUSTER_SECRET]: SECRET, [HEADER_SPEC]: encodeSpec(spec), [HEADER_REQUEST_ID]: requestId };
      if (tail) headers[HEADER_LOG_TAIL] = "1";
      const res = await fetch(`http://127.0.0.1:${port}${RUNNER_PATH_INVOKE}`, { method: "POST", headers, body: JSON.stringify({ tag: requestId, gapMs: 1 }) });
      const raw = [...res.headers.entries()].flatMap(([k, v]) => [Buffer.from(k), Buffer.from(v)]);
      return { header: res.headers.get(HEADER_LOG_RESULT), reply: decodeReply(res.status, raw, Buffer.from(await res.arrayBuffer())) };
    };
    const asked = await call("req-with-tail", true);
    assert.equal(asked.reply.outcome.kind, "success", JSON.stringify(asked.reply.outcome));
    const tail = asked.reply.outcome.logTail ?? "";
    assert.equal(Buffer.from(asked.header ?? "", "base64").toString("utf8"), tail, "the reply header is the tail in base64");
    const lines = tail.trimEnd().split("\n");
    assert.equal(lines[0], "START RequestId: req-with-tail Version: 4");
    assert.deepEqual(lines.slice(1, -2).sort(), ["five req-with-tail", "four req-with-tail", "one req-with-tail", "three req-with-tail", "two req-with-tail"]);
    assert.equal(lines.at(-2), "END RequestId: req-with-tail");
    assert.match(lines.at(-1)!, /^REPORT RequestId: req-with-tail\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB\tMax Memory Used: [1-9]\d* MB\tInit Duration: [\d.]+ ms$/);

    const plain = await call("req-without-tail", false);
    assert.equal(plain.header, null);
    assert.equal(plain.reply.outcome.logTail, undefined);
  } finally {
    server.closeAllConnections();
    await server.close();
    await node.close();
    await removeTree(root);
  }
  // close() flushed the shipper: both invocations' lines, each framed, are in the stream.
  await state.createGroup(FUNCTION_LOGS_STREAM, "check", "0");
  const records: FunctionLogRecord[] = [];
  for (const e of await state.readGroup(FUNCTION_LOGS_STREAM, "check", "c")) records.push(...recordsOfRows(JSON.parse(e.fields.rows!)));
  for (const id of ["req-with-tail", "req-without-tail"]) {
    const mine = records.filter((r) => r.requestId === id).map((r) => r.message);
    assert.equal(mine.length, 8, `${id}: ${JSON.stringify(mine)}`);
    assert.equal(mine.at(-1)!.startsWith(`REPORT RequestId: ${id}`), true);
  }
  await state.close();
});
