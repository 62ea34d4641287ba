import assert from "node:assert/strict";
import { test } from "node:test";
import type { Deployment } from "../db/index.ts";
import { aliasStateFor, batchRunners, firstTrafficPhase, nextTrafficPhase, plannedShare, sameAliasState, weightsOf } from "./plan.ts";

const before = { version: 1, routingConfig: { additionalVersionWeights: { "3": 0.05 } }, description: "prod" };
const dep = (strategy: Deployment["strategy"], config: Record<string, unknown>, plan: Record<string, unknown> = {}) =>
  ({ id: "d1", strategy, config, plan, toVersion: 2, aliasBefore: before }) as unknown as Deployment;

test("plans the canary share from config, and the alias as it was before traffic moves", () => {
  const d = dep("Canary", { canaryPercentage: 10, canaryDuration: "PT1M" });
  assert.deepEqual(firstTrafficPhase(d), { phase: "canary", step: 1 });
  assert.equal(plannedShare(d, "pre-traffic", 0), 0);
  assert.deepEqual(aliasStateFor(d, "pre-traffic", 0), before);
  assert.deepEqual(aliasStateFor(d, "canary", 1), { version: 1, routingConfig: { additionalVersionWeights: { "2": 0.1 } }, description: "prod" });
  assert.deepEqual(aliasStateFor(d, "post-traffic", 0), { version: 2, routingConfig: { additionalVersionWeights: {} }, description: "prod" });
  assert.deepEqual(aliasStateFor(d, "rolling-back", 0), before);
  assert.deepEqual(nextTrafficPhase(d, "canary", 1), { phase: "post-traffic", step: 0 });
});

test("steps a linear rollout by stepPercentage and ends at 100 % without an extra step", () => {
  const d = dep("Linear", { stepPercentage: 30, stepInterval: "PT1M" });
  const shares = [1, 2, 3].map((s) => plannedShare(d, "linear", s));
  assert.deepEqual(shares, [0.3, 0.6, 0.9]);
  assert.deepEqual(nextTrafficPhase(d, "linear", 2), { phase: "linear", step: 3 });
  assert.deepEqual(nextTrafficPhase(d, "linear", 3), { phase: "post-traffic", step: 0 });
  assert.deepEqual(firstTrafficPhase(dep("Linear", { stepPercentage: 100, stepInterval: "PT1M" })), { phase: "post-traffic", step: 0 });
});

test("moves runners batch by batch; one runner is one batch", () => {
  assert.equal(batchRunners({ batchPercentage: 25, batchInterval: "PT1M" }, 10), 3);
  assert.equal(batchRunners({ batchSize: 4, batchInterval: "PT1M" }, 3), 3);
  const fleet = dep("Rolling", {}, { runners: 10, batchRunners: 3 });
  assert.deepEqual([1, 2, 3].map((s) => plannedShare(fleet, "rolling", s)), [0.3, 0.6, 0.9]);
  assert.deepEqual(nextTrafficPhase(fleet, "rolling", 3), { phase: "post-traffic", step: 0 });
  assert.deepEqual(firstTrafficPhase(dep("Rolling", {}, { runners: 1, batchRunners: 1 })), { phase: "post-traffic", step: 0 });
});

test("puts an A/B rule salted with the deployment id on the alias, with the primary unchanged", () => {
  const d = dep("ABTesting", { variantPercentage: 25, key: { header: "X-User" } });
  const s = aliasStateFor(d, "ab", 1)!;
  assert.equal(s.version, 1);
  assert.deepEqual(s.routingConfig, { additionalVersionWeights: {}, abTest: { variantVersion: 2, variantWeight: 0.25, key: { header: "x-user" }, salt: "d1" } });
  assert.deepEqual(weightsOf(s), { "1": 0.75, "2": 0.25 });
});

test("reports weights per version and compares alias states", () => {
  assert.deepEqual(weightsOf(before), { "1": 0.95, "3": 0.05 });
  assert.deepEqual(weightsOf(null), {});
  assert.ok(sameAliasState(before, structuredClone(before)));
  assert.ok(!sameAliasState(before, { ...before, description: "x" }));
  assert.ok(!sameAliasState(before, null));
  assert.ok(sameAliasState(null, null));
});

test("plans the same weights for the same persisted state, whatever the clock says", () => {
  const d = dep("Linear", { stepPercentage: 20, stepInterval: "PT1S" });
  const a = aliasStateFor(d, "linear", 2);
  const b = aliasStateFor(structuredClone(d), "linear", 2);
  assert.deepEqual(a, b);
});
