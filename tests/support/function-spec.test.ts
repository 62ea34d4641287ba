/**
 * functionSpec: its defaults pass the protocol's FunctionSpec schema, so every test built on it
 * sends a spec a runner accepts; overrides replace defaults and leave the rest alone.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { FunctionSpec } from "../../protocol/invoke.ts";
import { DEFAULT_CODE_SHA256, functionSpec } from "./function-spec.ts";

test("the default spec is valid against the FunctionSpec schema and has no optional limits", () => {
  const spec = functionSpec();
  assert.deepEqual(FunctionSpec.parse(spec), spec);
  assert.deepEqual(spec, {
    functionName: "echo",
    version: 1,
    runtime: "nodejs20",
    handler: "index.handler",
    memorySize: 128,
    timeout: 3,
    environment: {},
    codeSha256: DEFAULT_CODE_SHA256,
    protocol: "fast",
    instanceConcurrency: 1,
  });
});

test("overrides replace their fields, environment included, and stay valid", () => {
  const spec = functionSpec({ functionName: "capped", version: 7, environment: { FOO: "bar" }, reservedConcurrency: 0, codeSha256: "f".repeat(64) });
  assert.deepEqual(FunctionSpec.parse(spec), spec);
  assert.equal(spec.functionName, "capped");
  assert.equal(spec.version, 7);
  assert.deepEqual(spec.environment, { FOO: "bar" });
  assert.equal(spec.reservedConcurrency, 0);
  assert.equal(spec.memorySize, 128, "untouched defaults stay");
});

test("each call returns a fresh object: a test that mutates its spec does not leak into another", () => {
  const a = functionSpec();
  a.environment.LEAK = "1";
  assert.deepEqual(functionSpec().environment, {});
});
