/**
 * What every backend's function logs must show, shared by the process-backend test
 * (function-logs.test.ts) and the docker one (tests/docker/function-logs.test.ts): records read
 * back from the state-store stream, each invocation framed START … END, REPORT, and every line of
 * the node-log-mix / python-log-mix fixtures carrying its own invocation's request id and stream.
 */
import assert from "node:assert/strict";
import { FUNCTION_LOGS_STREAM, type FunctionLogRecord } from "../../../protocol/function-logs.ts";
import { recordsOfRows } from "../../../protocol/function-log-rows.ts";
import type { FunctionSpec, InvokeOutcome, InvokeRequest } from "../../../protocol/invoke.ts";
import type { StateStore } from "../../../shared/state/state-store.ts";
import { waitFor } from "../../../tests/support/wait-for.ts";

/** A reader of FUNCTION_LOGS_STREAM from its start: each call returns every record so far, in stream order. */
export async function streamReader(state: StateStore, group: string): Promise<() => Promise<FunctionLogRecord[]>> {
  await state.createGroup(FUNCTION_LOGS_STREAM, group, "0");
  const seen: FunctionLogRecord[] = [];
  return async () => {
    for (const e of await state.readGroup(FUNCTION_LOGS_STREAM, group, "c")) seen.push(...recordsOfRows(JSON.parse(e.fields.rows!)));
    return seen;
  };
}

/** Each request's records, once its REPORT has arrived. */
export async function recordsOf(read: () => Promise<FunctionLogRecord[]>, requestIds: string[]): Promise<Map<string, FunctionLogRecord[]>> {
  const all = await waitFor(`REPORT for ${requestIds.length} invocations`, read, {
    until: (rs) => requestIds.every((id) => rs.some((x) => x.requestId === id && x.message.startsWith("REPORT "))),
    timeoutMs: 15_000,
  });
  const by = new Map<string, FunctionLogRecord[]>();
  for (const id of requestIds) by.set(id, all.filter((x) => x.requestId === id));
  return by;
}

/** START first, END then REPORT last, each once, with the version, memory size and (iff cold) Init Duration. */
export function assertFramed(rs: FunctionLogRecord[], id: string, spec: FunctionSpec, cold: boolean): void {
  const platform = rs.filter((x) => x.stream === "platform").map((x) => x.message);
  assert.equal(rs[0]?.message, `START RequestId: ${id} Version: ${spec.version}`, `first line of ${id}`);
  assert.equal(rs.at(-2)!.message, `END RequestId: ${id}`);
  const report = rs.at(-1)!.message;
  assert.match(report, new RegExp(`^REPORT RequestId: ${id}\\tDuration: \\d+\\.\\d\\d ms\\tBilled Duration: \\d+ ms\\tMemory Size: ${spec.memorySize} MB\\tMax Memory Used: [1-9]\\d* MB`));
  assert.equal(/\tInit Duration: \d+\.\d\d ms$/.test(report), cold, `Init Duration on ${id} iff cold (${report})`);
  assert.equal(platform.filter((m) => m.startsWith("START ")).length, 1);
  assert.equal(platform.filter((m) => m.startsWith("END ")).length, 1);
  assert.ok(rs.every((x) => x.functionName === spec.functionName && x.version === spec.version));
}

export interface LogMixRun {
  invoke(req: InvokeRequest): Promise<InvokeOutcome>;
  read(): Promise<FunctionLogRecord[]>;
  /** A node-log-mix or python-log-mix version with the instanceConcurrency under test (and maxInstances 1). */
  spec: FunctionSpec;
  /** How the fixture's fifth line starts: "five" (Node console.warn) or "INFO five" (Python logging, Ruby Logger). */
  five: string;
  /** Makes request ids unique across runs. */
  idPrefix: string;
}

/**
 * Invoke the log-mix fixture (3 in a row with concurrency 1, else 8 at once so lines interleave on
 * one instance) and check every invocation's records: its own lines, on the right streams, in
 * order per stream, framed; and no line naming it held by another invocation or by none.
 */
export async function assertLogMix(run: LogMixRun): Promise<void> {
  const concurrency = run.spec.instanceConcurrency;
  const count = concurrency === 1 ? 3 : 8;
  const ids = Array.from({ length: count }, (_, i) => `${run.idPrefix}-${i}`);
  const call = (id: string) => run.invoke({ spec: run.spec, requestId: id, payload: Buffer.from(JSON.stringify({ tag: `t-${id}`, gapMs: concurrency === 1 ? 2 : 15 })) });
  const outcomes: InvokeOutcome[] = [];
  if (concurrency === 1) for (const id of ids) outcomes.push(await call(id));
  else outcomes.push(...(await Promise.all(ids.map(call))));
  for (const o of outcomes) assert.equal(o.kind, "success", JSON.stringify(o));
  const by = await recordsOf(run.read, ids);
  for (const [i, id] of ids.entries()) {
    const tag = `t-${id}`;
    const rs = by.get(id)!;
    assertFramed(rs, id, run.spec, outcomes[i].coldStart === true);
    const text = (stream: string) => rs.filter((x) => x.stream === stream).map((x) => x.message);
    assert.deepEqual(text("stdout"), [`one ${tag}`, `two ${tag}`], `stdout of ${id}`);
    assert.deepEqual(text("stderr"), [`three ${tag}`, `four ${tag}`, `${run.five} ${tag}`], `stderr of ${id}`);
  }
  const all = await run.read();
  assert.ok(!all.some((x) => x.message.includes("\x1e") || x.message.includes("\x1f")), "no tag is left in a message");
  for (const id of ids) {
    const holders = all.filter((x) => x.message.endsWith(` t-${id}`)).map((x) => x.requestId);
    assert.deepEqual([...new Set(holders)], [id], `lines naming t-${id} belong to ${id} only`);
  }
}
