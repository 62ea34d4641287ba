import { test } from "node:test";
import assert from "node:assert/strict";
import { formatFields, formatTable } from "./output.ts";
import { describeFailure, exitCodeOf } from "./exit-codes.ts";

test("formatTable aligns columns under their headers, shows missing values as -, and says (none) for no rows", () => {
  const rows = [
    { name: "hello", v: 1, note: null },
    { name: "a-much-longer-name", v: 12, note: { k: 1 } },
  ];
  assert.equal(
    formatTable(rows, [["NAME", (r) => r.name], ["V", (r) => r.v], ["NOTE", (r) => r.note]]),
    ["NAME                V   NOTE", "hello               1   -", 'a-much-longer-name  12  {"k":1}'].join("\n"),
  );
  assert.equal(formatTable([], [["NAME", () => "x"]]), "(none)");
});

test("formatFields aligns the values", () => {
  assert.equal(formatFields({ a: 1, longer: "", c: "x" }), "a:      1\nlonger: -\nc:      x");
});

test("API failures map to exit codes by status and code, and print code, status, message and request id", () => {
  assert.equal(exitCodeOf({ status: 404, code: "FunctionNotFound", message: "" }), 3);
  assert.equal(exitCodeOf({ status: 400, code: "VersionNotFound", message: "" }), 3);
  assert.equal(exitCodeOf({ status: 401, code: "Unauthorized", message: "" }), 4);
  assert.equal(exitCodeOf({ status: 403, code: "Forbidden", message: "" }), 4);
  assert.equal(exitCodeOf({ status: 409, code: "DeploymentConflict", message: "" }), 1);
  assert.equal(exitCodeOf({ status: 0, code: "Unreachable", message: "" }), 1);
  assert.equal(describeFailure({ status: 409, code: "AliasLocked", message: "owned by d1", requestId: "r1" }), "AliasLocked (HTTP 409): owned by d1 [request r1]");
  assert.equal(describeFailure({ status: 0, code: "Unreachable", message: "down" }), "Unreachable: down");
});
