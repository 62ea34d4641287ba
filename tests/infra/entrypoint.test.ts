/**
 * The Pulumi project: Pulumi.yaml runs infra/index.ts as ESM TypeScript through tsx, and the entry
 * point validates the stack's config and exports the outputs function stacks consume.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { RecordingMocks, REPO_ROOT, stackConfig, valueOf } from "./support/infra.ts";

test("Pulumi.yaml: project hotswap, nodejs with tsx instead of ts-node, program in infra/", () => {
  const project = parse(readFileSync(`${REPO_ROOT}Pulumi.yaml`, "utf8"));
  assert.equal(project.name, "hotswap");
  assert.deepEqual(project.runtime, { name: "nodejs", options: { typescript: false, nodeargs: "--import tsx", packagemanager: "npm" } });
  assert.equal(project.main, "infra/");
  // An ESM package's directory entry point is index.js, then index.mjs, then index.ts (Pulumi's nodejs language host).
  assert.equal(existsSync(`${REPO_ROOT}infra/index.js`), false);
  assert.equal(existsSync(`${REPO_ROOT}infra/index.mjs`), false);
  assert.equal(existsSync(`${REPO_ROOT}infra/index.ts`), true);
  assert.equal(JSON.parse(readFileSync(`${REPO_ROOT}package.json`, "utf8")).type, "module");
});

async function loadEntryPoint(stack: string, config: Record<string, string>, instance: string, mocks = new RecordingMocks()) {
  await pulumi.runtime.setMocks(mocks, "hotswap", stack, false);
  pulumi.runtime.setAllConfig(config);
  try {
    // A query string gives a fresh module instance per case, as each `pulumi up` is a fresh process.
    return { module: (await import(`../../infra/index.ts?${instance}`)) as Record<string, pulumi.Output<unknown> | undefined>, mocks };
  } finally {
    await pulumi.runtime.disconnect();
  }
}

test("the entry point exports apiEndpoint and secret adminKey and deployerKey for StackReferences", async () => {
  const { module, mocks } = await loadEntryPoint("dev", stackConfig("dev"), "dev");
  assert.equal(await valueOf(module.target!), "docker");
  assert.equal(await valueOf(module.apiEndpoint!), "http://127.0.0.1:8080");
  assert.match(String(await valueOf(module.adminKey!)), /^hs_[a-z0-9]{12}_[A-Za-z0-9]{40}$/);
  assert.ok(await pulumi.isSecret(module.adminKey as pulumi.Output<unknown>));
  assert.match(String(await valueOf(module.deployerKey!)), /^hs_[a-z0-9]{12}_[A-Za-z0-9]{40}$/);
  assert.notEqual(await valueOf(module.deployerKey!), await valueOf(module.adminKey!), "the deployer key is not the admin key");
  assert.ok(await pulumi.isSecret(module.deployerKey as pulumi.Output<unknown>), "the deployerKey output is secret");
  assert.equal(await valueOf(module.prometheusUrl!), "http://127.0.0.1:9090");
  assert.equal(await valueOf(module.grafanaUrl!), "http://127.0.0.1:3000");
  assert.ok(mocks.resources.some((r) => r.type === "hotswap:index:Platform"));
});

test("the entry point refuses invalid config before declaring anything", async () => {
  const config = { ...stackConfig("dev"), "hotswap:runnerPools": JSON.stringify([{ name: "default", size: -1 }]) };
  const mocks = new RecordingMocks();
  await assert.rejects(loadEntryPoint("dev", config, "invalid", mocks), { name: "StackConfigError", message: "hotswap:runnerPools[0].size must be an integer ≥ 0" });
  assert.equal(mocks.resources.length, 0);
});
