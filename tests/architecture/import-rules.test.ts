/** The tree keeps its dependency direction: protocol ← shared ← {platform, runner, client} ← {cli, infra SDK}. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { LAYERS, findViolations, layerOf, readLayers, relativeImports } from "./import-rules.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

test("no module imports across the layers' dependency direction", () => {
  const files = readLayers(ROOT);
  // Sanity: the walk found each layer's modules, so an empty scan cannot pass.
  for (const name of ["protocol", "shared", "platform", "runner", "cli", "console"]) {
    assert.ok([...files.keys()].some((f) => layerOf(f)?.name === name), `no source files found for layer ${name}`);
  }
  const violations = findViolations(files);
  assert.deepEqual(
    violations.map((v) => `${v.file} imports ${v.specifier} (${v.reaches}): ${v.rule}`),
    [],
  );
});

test("the platform importing the runner is a violation, and so is the runner importing the platform", () => {
  const files = new Map([
    ["platform/src/server.ts", `import { LocalRunner } from "../../runner/src/local-runner.ts";`],
    ["runner/src/agent.ts", `const m = await import("../../platform/src/fleet/runner-client.ts");`],
    ["protocol/frame.ts", `import type { Logger } from "../shared/logger.ts";`],
    ["shared/state/index.ts", `import { x } from "../../platform/src/db/index.ts";`],
  ]);
  const v = findViolations(files);
  assert.deepEqual(
    v.map((x) => [x.file, x.reaches]),
    [
      ["platform/src/server.ts", "runner"],
      ["runner/src/agent.ts", "platform"],
      ["protocol/frame.ts", "shared"],
      ["shared/state/index.ts", "platform"],
    ],
  );
  assert.match(v[0]!.rule, /platform may import only protocol, shared, platform/);
});

test("allowed directions, packages, package.json and test support pass", () => {
  const files = new Map([
    ["cli/main.ts", `import { startServer } from "../platform/src/server.ts";\nimport { x } from "../runner/src/runner-node.ts";\nimport pkg from "../package.json" with { type: "json" };`],
    ["platform/src/a.ts", `import { z } from "zod";\nimport { ApiError } from "../../protocol/errors.ts";\nimport { createStateStore } from "../../shared/state/index.ts";\nimport { readFile } from "node:fs/promises";`],
    ["runner/src/pool/x.test.ts", `import { FakeBackend } from "../../../tests/support/fake-backend.ts";`],
    ["infra/sdk/provider.ts", `import { HotSwapClient } from "../../client/index.ts";`],
  ]);
  assert.deepEqual(findViolations(files), []);
});

test("the console may import the client and protocol, never the platform, the runner or shared", () => {
  const ok = new Map([["console/src/session.ts", `import { createPlainApiClient } from "../../client/plain.ts";\nimport type { WhoAmI } from "../../protocol/api/whoami.ts";\nimport { h } from "preact";`]]);
  assert.deepEqual(findViolations(ok), []);
  const bad = new Map([
    ["console/src/pages/x.tsx", `import { allows } from "../../../platform/src/auth/permissions.ts";`],
    ["console/src/y.ts", `import { x } from "../../runner/src/runner-node.ts";\nimport { createLogger } from "../../shared/logger.ts";`],
  ]);
  assert.deepEqual(
    findViolations(bad).map((x) => [x.file, x.reaches]),
    [
      ["console/src/pages/x.tsx", "platform"],
      ["console/src/y.ts", "runner"],
      ["console/src/y.ts", "shared"],
    ],
  );
});

test("a non-test module may not import test support", () => {
  const v = findViolations(new Map([["runner/src/pool/pool.ts", `import { FakeBackend } from "../../../tests/support/fake-backend.ts";`]]));
  assert.equal(v.length, 1);
  assert.equal(v[0]!.reaches, "tests/support/fake-backend.ts");
});

test("relativeImports finds static, dynamic and side-effect imports and ignores packages", () => {
  const src = `import a from "./a.ts";\nexport { b } from "../b.ts";\nimport "./side.ts";\nconst c = await import("./c.ts");\nimport { z } from "zod";`;
  assert.deepEqual(relativeImports(src), ["./a.ts", "../b.ts", "./side.ts", "./c.ts"]);
  assert.ok(LAYERS.every((l) => l.mayImport.includes(l.name)), "every layer may import itself");
});
