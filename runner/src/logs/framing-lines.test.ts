/** START, END and REPORT exactly as Lambda writes them. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { endLine, reportLine, startLine } from "./framing-lines.ts";

test("START and END", () => {
  assert.equal(startLine("abc-123", 7), "START RequestId: abc-123 Version: 7");
  assert.equal(endLine("abc-123"), "END RequestId: abc-123");
});

test("REPORT: duration with 2 decimals, billed rounded up to the ms, memory in MB, tab-separated", () => {
  assert.equal(
    reportLine({ requestId: "r1", durationMs: 12.3456, memorySizeMb: 128, maxMemoryUsedBytes: 45 * 1024 * 1024 + 300_000 }),
    "REPORT RequestId: r1\tDuration: 12.35 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 45 MB",
  );
  assert.equal(
    reportLine({ requestId: "r1", durationMs: 3, memorySizeMb: 256, maxMemoryUsedBytes: 70 * 1024 * 1024 }),
    "REPORT RequestId: r1\tDuration: 3.00 ms\tBilled Duration: 3 ms\tMemory Size: 256 MB\tMax Memory Used: 70 MB",
  );
});

test("REPORT on a cold start carries Init Duration; a sub-millisecond run bills 1 ms", () => {
  assert.equal(
    reportLine({ requestId: "r2", durationMs: 0.2, memorySizeMb: 512, maxMemoryUsedBytes: 1, initDurationMs: 181.519 }),
    "REPORT RequestId: r2\tDuration: 0.20 ms\tBilled Duration: 1 ms\tMemory Size: 512 MB\tMax Memory Used: 1 MB\tInit Duration: 181.52 ms",
  );
});

test("REPORT with unknown memory says 0 MB rather than leaving the field out", () => {
  assert.match(reportLine({ requestId: "r3", durationMs: 1, memorySizeMb: 128, maxMemoryUsedBytes: undefined }), /\tMax Memory Used: 0 MB$/);
});
