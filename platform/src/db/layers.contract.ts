/**
 * Contract suite, part three: layers and their versions, and what the code collector must keep
 * because of them. Called by runDatabaseContract in database.contract.ts, which owns the shared
 * database these tests run on.
 */
import { randomBytes } from "node:crypto";
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { functionInput, publishInput, uniqueName, type ContractContext } from "./contract-support.ts";
import type { PublishLayerInput } from "./repositories/index.ts";

const sha = (c: string) => c.repeat(64);
const randomSha = () => randomBytes(32).toString("hex");

function layerInput(overrides: Partial<PublishLayerInput> = {}): PublishLayerInput {
  return {
    codeSha256: sha("a"),
    codeSize: 100,
    unzippedSize: 3_000_000_000,
    codeLocation: "code/aaa.zip",
    compatibleRuntimes: ["nodejs20", "python3.12"],
    description: "deps",
    ...overrides,
  };
}

export function runLayersContract(ctx: ContractContext): void {
  describe("layers", () => {
    test("publish numbers each layer's versions from 1 and round-trips every field", async () => {
      const name = uniqueName("layer");
      const first = await ctx.repos.layers.publish(name, layerInput());
      const second = await ctx.repos.layers.publish(name, layerInput({ codeSha256: sha("b"), compatibleRuntimes: [], description: "" }));
      assert.equal(first.version, 1);
      assert.equal(second.version, 2);
      assert.equal(first.layerName, name);
      // bigint column: sizes beyond 2^31 survive.
      assert.equal(first.unzippedSize, 3_000_000_000);
      assert.deepEqual(first.compatibleRuntimes, ["nodejs20", "python3.12"]);
      assert.ok(first.createdAt instanceof Date);
      assert.deepEqual(await ctx.repos.layers.get(name, 1), first);
      assert.deepEqual(await ctx.repos.layers.get(name, 2), second);
      assert.equal(await ctx.repos.layers.get(name, 3), null);
      const other = await ctx.repos.layers.publish(uniqueName("layer"), layerInput());
      assert.equal(other.version, 1, "numbering is per layer");
    });

    test("list is newest first and listLatest gives each layer its newest live version", async () => {
      const a = uniqueName("layerA");
      const b = uniqueName("layerB");
      await ctx.repos.layers.publish(a, layerInput());
      await ctx.repos.layers.publish(a, layerInput());
      await ctx.repos.layers.publish(b, layerInput());
      assert.deepEqual(
        (await ctx.repos.layers.list(a)).map((v) => v.version),
        [2, 1],
      );
      const latest = (await ctx.repos.layers.listLatest()).filter((v) => v.layerName === a || v.layerName === b);
      assert.deepEqual(
        latest.map((v) => [v.layerName, v.version]),
        [
          [a, 2],
          [b, 1],
        ].sort((x, y) => String(x[0]).localeCompare(String(y[0]))),
      );
    });

    test("delete hides a version, is false the second time, and its number is never given again", async () => {
      const name = uniqueName("layer");
      await ctx.repos.layers.publish(name, layerInput());
      await ctx.repos.layers.publish(name, layerInput());
      assert.equal(await ctx.repos.layers.delete(name, 2), true);
      assert.equal(await ctx.repos.layers.delete(name, 2), false);
      assert.equal(await ctx.repos.layers.delete(name, 9), false);
      assert.equal(await ctx.repos.layers.get(name, 2), null);
      assert.equal((await ctx.repos.layers.get(name, 2, { includeDeleted: true }))?.version, 2, "a deleted version can still be resolved for functions using it");
      assert.deepEqual(
        (await ctx.repos.layers.list(name)).map((v) => v.version),
        [1],
      );
      assert.equal((await ctx.repos.layers.listLatest()).find((v) => v.layerName === name)?.version, 1);
      assert.equal((await ctx.repos.layers.publish(name, layerInput())).version, 3);
      await ctx.repos.layers.delete(name, 1);
      await ctx.repos.layers.delete(name, 3);
      assert.equal((await ctx.repos.layers.listLatest()).find((v) => v.layerName === name), undefined);
    });

    test("10 concurrent publishes of a new layer yield exactly versions 1..10", async () => {
      const name = uniqueName("layer");
      const all = await Promise.all(Array.from({ length: 10 }, () => ctx.repos.layers.publish(name, layerInput())));
      assert.deepEqual(
        all.map((v) => v.version).sort((x, y) => x - y),
        [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
      );
    });

    test("a function's layers and a version's layer snapshot round-trip", async () => {
      const fn = uniqueName("fn");
      await ctx.repos.functions.create(functionInput(fn, { layers: ["deps:1", "tools:4"] }));
      assert.deepEqual((await ctx.repos.functions.get(fn))?.layers, ["deps:1", "tools:4"]);
      const snapshot = [
        { name: "deps", version: 1, codeSha256: sha("c") },
        { name: "tools", version: 4, codeSha256: sha("d") },
      ];
      const v = await ctx.repos.versions.publish(fn, publishInput({ layers: snapshot }));
      assert.deepEqual(v?.layers, snapshot);
      assert.deepEqual((await ctx.repos.versions.get(fn, 1))?.layers, snapshot);
      const plain = uniqueName("fn");
      await ctx.repos.functions.create(functionInput(plain));
      assert.deepEqual((await ctx.repos.functions.get(plain))?.layers, []);
      assert.deepEqual((await ctx.repos.versions.publish(plain, publishInput()))?.layers, []);
    });

    test("the code collector keeps layer code a live layer version or a function version's snapshot references", async () => {
      // Random shas: other suites sharing the database use the repeated-digit ones.
      const [shaLive, shaSnapshot, shaGone] = [randomSha(), randomSha(), randomSha()];
      const name = uniqueName("layer");
      await ctx.repos.layers.publish(name, layerInput({ codeSha256: shaLive }));
      await ctx.repos.layers.publish(name, layerInput({ codeSha256: shaSnapshot }));
      await ctx.repos.layers.publish(name, layerInput({ codeSha256: shaGone }));
      const fn = uniqueName("fn");
      await ctx.repos.functions.create(functionInput(fn));
      await ctx.repos.versions.publish(fn, publishInput({ layers: [{ name, version: 2, codeSha256: shaSnapshot }] }));
      await ctx.repos.layers.delete(name, 2);
      await ctx.repos.layers.delete(name, 3);
      const referenced = await ctx.repos.versions.referencedCode();
      assert.ok(referenced.has(shaLive), "a live layer version's code is kept");
      assert.ok(referenced.has(shaSnapshot), "a deleted layer version a function version runs is kept");
      assert.ok(!referenced.has(shaGone), "a deleted, unused layer version's code is collectable");
      assert.equal(await ctx.repos.versions.referencesCode(shaLive), true);
      assert.equal(await ctx.repos.versions.referencesCode(shaSnapshot), true);
      assert.equal(await ctx.repos.versions.referencesCode(shaGone), false);
      await ctx.repos.functions.delete(fn);
      assert.equal(await ctx.repos.versions.referencesCode(shaSnapshot), false, "once the function is gone, nothing holds the deleted version");
    });
  });
}
