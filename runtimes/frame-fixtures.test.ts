/**
 * The committed golden frames (runtimes/fixtures/frames) are exactly what frame-fixtures.ts builds
 * from protocol/frame.ts today: a codec change that alters the bytes fails here until the fixtures
 * are regenerated on purpose, and then the runner, Node and Python suites must agree again.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_MAX_FRAME_BYTES } from "../protocol/frame.ts";
import { buildFrameFixtures, FRAME_FIXTURES_DIR, loadFrameFixtures } from "./frame-fixtures.ts";

const REGENERATE = "regenerate with: node --import tsx runtimes/frame-fixtures.ts --write";

test("the generator reproduces every committed fixture byte for byte, and nothing else is there", () => {
  const { files } = buildFrameFixtures();
  assert.deepEqual(readdirSync(FRAME_FIXTURES_DIR).sort(), [...files.keys()].sort(), `the fixture files differ from the generator's; ${REGENERATE}`);
  for (const [name, bytes] of files) {
    const committed = readFileSync(join(FRAME_FIXTURES_DIR, name));
    assert.ok(committed.equals(bytes), `${name} differs from what protocol/frame.ts encodes now; ${REGENERATE}`);
  }
});

test("the manifest covers every message both ways, compact headers, batches, split reads and refusals", () => {
  const { manifest } = loadFrameFixtures();
  assert.equal(manifest.maxFrameBytes, DEFAULT_MAX_FRAME_BYTES);
  const types = (from: string) => new Set(manifest.cases.filter((c) => c.from === from).flatMap((c) => c.frames.map((f) => f.header.type)));
  for (const t of ["init", "invoke", "write"]) assert.ok(types("runner").has(t), `runner → ${t}`);
  for (const t of ["hello", "ready", "initError", "result", "error"]) assert.ok(types("instance").has(t), `instance → ${t}`);
  for (const t of ["hello", "ok", "error"]) assert.ok(types("loader").has(t), `loader → ${t}`);
  const frames = manifest.cases.flatMap((c) => c.frames);
  assert.ok(frames.some((f) => f.compact === "invoke") && frames.some((f) => f.compact === "reply"));
  assert.ok(frames.some((f) => f.bodyHex !== undefined), "a binary body");
  assert.ok(frames.some((f) => f.bodyText === ""), "an empty body");
  assert.ok(manifest.cases.some((c) => c.frames.length > 1 && !c.error && !c.incomplete), "a multi-frame batch");
  assert.ok(manifest.cases.some((c) => c.reads), "a split read");
  assert.ok(manifest.cases.some((c) => c.error?.includes("exceeds")), "an oversized frame");
  assert.ok(manifest.cases.some((c) => c.error?.includes("JSON")), "an invalid header");
  assert.ok(manifest.cases.some((c) => c.incomplete), "a truncated stream");
});
