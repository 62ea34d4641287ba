/**
 * Every invalid deployment request gets a 400 (404 for a missing function) with a message that
 * names the field and says what is wrong. Validation does not depend on the stores, so this runs
 * on the embedded platform only.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startPlatform, type TestPlatform } from "../support/platform.ts";
import { CODE, createFunction, createLiveFunction } from "./support.ts";

describe("deployment validation", () => {
  let p: TestPlatform;
  before(async () => {
    p = await startPlatform("embedded");
    await createLiveFunction(p, "val", [CODE.ok("v1"), CODE.ok("v2")]);
    await createFunction(p, "val-noalias", [CODE.ok("v1"), CODE.ok("v2")]);
  });
  after(() => p?.close());

  const base = { functionName: "val", version: 2 };
  const canary = { canaryPercentage: 10, canaryDuration: "PT1M" };
  const prom = { address: "http://127.0.0.1:9090", metrics: [{ name: "errors", query: 'sum(rate(hotswap_invocations_total{function="{{function}}"}[{{interval}}]))', thresholdMax: 1 }] };
  const cases: Array<[string, Record<string, unknown>, RegExp, number?]> = [
    ["an unknown strategy", { ...base, strategy: "Big-Bang" }, /body field "strategy": Invalid option: expected one of "Direct"\|"Canary"\|"Linear"\|"BlueGreen"\|"Rolling"\|"ABTesting"/],
    ["a missing strategy", { ...base }, /body field "strategy"/],
    ["a version that is not a positive integer", { ...base, version: 1.5, strategy: "Direct" }, /body field "version"/],
    ["a bad alias name", { ...base, alias: "no spaces", strategy: "Direct" }, /body field "alias": must be 1-128 characters/],
    ["an unknown body field", { ...base, strategy: "Direct", canaryPercentage: 10 }, /Unrecognized key: "canaryPercentage"/],
    ["a missing canaryPercentage", { ...base, strategy: "Canary", config: { canaryDuration: "PT1M" } }, /body field "config.canaryPercentage": is required \(strategy "Canary"\)/],
    ["a canaryPercentage of 0", { ...base, strategy: "Canary", config: { canaryPercentage: 0, canaryDuration: "PT1M" } }, /"config.canaryPercentage": must be more than 0/],
    ["a canaryPercentage of 100", { ...base, strategy: "Canary", config: { canaryPercentage: 100, canaryDuration: "PT1M" } }, /"config.canaryPercentage": must be less than 100 \(use strategy Direct for 100\)/],
    ["a canaryPercentage that is a string", { ...base, strategy: "Canary", config: { canaryPercentage: "10", canaryDuration: "PT1M" } }, /"config.canaryPercentage": must be a number/],
    ["a duration in words", { ...base, strategy: "Canary", config: { canaryPercentage: 10, canaryDuration: "10 minutes" } }, /"config.canaryDuration": "10 minutes" is not an ISO-8601 duration; write e.g. PT30S, PT10M or PT1H/],
    ["a duration under a second", { ...base, strategy: "Canary", config: { canaryPercentage: 10, canaryDuration: "PT0.2S" } }, /"config.canaryDuration": is 200 ms; the minimum is 1 s/],
    ["a duration over a day", { ...base, strategy: "Linear", config: { stepPercentage: 10, stepInterval: "P2D" } }, /"config.stepInterval": is 48 h; the maximum is 24 h/],
    ["a config field of another strategy", { ...base, strategy: "Canary", config: { canaryPercentage: 10, canaryDuration: "PT1M", stepPercentage: 5 } }, /body field "config.stepPercentage" does not apply to strategy "Canary"; it takes canaryPercentage, canaryDuration/],
    ["config on Direct", { ...base, strategy: "Direct", config: { canaryPercentage: 10 } }, /"config.canaryPercentage" does not apply to strategy "Direct"; it takes no config/],
    ["a stepPercentage over 100", { ...base, strategy: "Linear", config: { stepPercentage: 150, stepInterval: "PT1M" } }, /"config.stepPercentage": must be at most 100/],
    ["a missing rollbackWindow", { ...base, strategy: "BlueGreen", config: {} }, /"config.rollbackWindow": is required/],
    ["both batchSize and batchPercentage", { ...base, strategy: "Rolling", config: { batchSize: 1, batchPercentage: 50, batchInterval: "PT1M" } }, /Cannot set both "batchSize" and "batchPercentage"/],
    ["neither batchSize nor batchPercentage", { ...base, strategy: "Rolling", config: { batchInterval: "PT1M" } }, /Set "batchSize" \(runners per batch\) or "batchPercentage"/],
    ["a fractional batchSize", { ...base, strategy: "Rolling", config: { batchSize: 1.5, batchInterval: "PT1M" } }, /"config.batchSize": must be a whole number of runners/],
    ["an A/B key with two sources", { ...base, strategy: "ABTesting", config: { variantPercentage: 50, key: { header: "x-u", cookie: "u" } } }, /"config.key": Set exactly one of "header", "cookie" or "query" \(got header and cookie\)/],
    ["an A/B key with no source", { ...base, strategy: "ABTesting", config: { variantPercentage: 50, key: {} } }, /Set exactly one of "header", "cookie" or "query" \(got none\)/],
    ["a missing A/B key", { ...base, strategy: "ABTesting", config: { variantPercentage: 50 } }, /"config.key"/],
    ["an error-rate threshold over 1", { ...base, strategy: "Direct", analysis: { maxErrorRate: 5 } }, /body field "analysis.maxErrorRate"/],
    ["minRequests of 0", { ...base, strategy: "Direct", analysis: { minRequests: 0 } }, /body field "analysis.minRequests"/],
    ["an analysis interval in words", { ...base, strategy: "Direct", analysis: { interval: "30s" } }, /"analysis.interval": "30s" is not an ISO-8601 duration/],
    ["an unknown analysis field", { ...base, strategy: "Direct", analysis: { maxP50: 3 } }, /Unrecognized key: "maxP50"/],
    ["Prometheus analysis in the old shape", { ...base, strategy: "Canary", config: canary, analysis: { prometheus: { url: "http://127.0.0.1:9090", errorRateQuery: "x" } } }, /body field "analysis.prometheus": Unrecognized keys: "url", "errorRateQuery"/],
    ["a Prometheus address that is not a URL", { ...base, strategy: "Canary", config: canary, analysis: { prometheus: { ...prom, address: "prometheus:9090" } } }, /body field "analysis.prometheus.address": must be (a URL such as http:\/\/prometheus:9090|an http:\/\/ or https:\/\/ URL)/],
    ["no Prometheus metrics", { ...base, strategy: "Canary", config: canary, analysis: { prometheus: { ...prom, metrics: [] } } }, /body field "analysis.prometheus.metrics": must list at least one metric/],
    ["a Prometheus metric without a threshold", { ...base, strategy: "Canary", config: canary, analysis: { prometheus: { ...prom, metrics: [{ name: "errors", query: "up" }] } } }, /body field "analysis.prometheus.metrics.0.thresholdMax": metric "errors" needs thresholdMax, thresholdMin or both/],
    ["a Prometheus thresholdMin above thresholdMax", { ...base, strategy: "Canary", config: canary, analysis: { prometheus: { ...prom, metrics: [{ name: "rps", query: "up", thresholdMin: 5, thresholdMax: 1 }] } } }, /"analysis.prometheus.metrics.0.thresholdMin": is 5, above thresholdMax 1; no value could pass/],
    ["an unknown placeholder in a Prometheus query", { ...base, strategy: "Canary", config: canary, analysis: { prometheus: { ...prom, metrics: [{ name: "e", query: 'up{fn="{{fn}}"}', thresholdMax: 1 }] } } }, /"analysis.prometheus.metrics.0.query": has the unknown placeholder \{\{fn\}\}; use \{\{function\}\}, \{\{version\}\} or \{\{interval\}\}/],
    ["two Prometheus metrics with one name", { ...base, strategy: "Canary", config: canary, analysis: { prometheus: { ...prom, metrics: [prom.metrics[0], prom.metrics[0]] } } }, /"analysis.prometheus.metrics.1.name": repeats the metric name "errors"; names must be unique/],
    ["a bad Prometheus metric name", { ...base, strategy: "Canary", config: canary, analysis: { prometheus: { ...prom, metrics: [{ ...prom.metrics[0], name: "error rate" }] } } }, /"analysis.prometheus.metrics.0.name": must start with a letter/],
    ["a bad onConflict", { ...base, strategy: "Direct", onConflict: "replace" }, /body field "onConflict"/],
    ["a version that does not exist", { ...base, version: 9, strategy: "Direct" }, /Function "val" has no version 9/],
    ["a hook function that does not exist", { ...base, strategy: "Direct", hooks: { preTraffic: { functionName: "ghost" } } }, /body field "hooks.preTraffic": function "ghost" does not exist/],
    ["a canary on an alias that does not exist", { functionName: "val-noalias", version: 2, strategy: "Canary", config: { canaryPercentage: 10, canaryDuration: "PT1M" } }, /Alias "live" of function "val-noalias" does not exist, so a Canary deployment has no current version to shift traffic from/],
    ["the version the alias already serves", { ...base, version: 1, strategy: "Direct" }, /Alias "live" of function "val" already sends all traffic to version 1; there is nothing to deploy/],
    ["a function that does not exist", { functionName: "ghost", version: 1, strategy: "Direct" }, /Function "ghost" does not exist/, 404],
  ];

  for (const [what, body, message, status = 400] of cases) {
    test(`answers ${status} with a precise message for ${what}`, async () => {
      const r = await p.api("POST", "/api/v1/deployments", body);
      assert.equal(r.status, status, r.text);
      assert.match(r.json.error.message, message);
    });
  }

  test("answers 400 for malformed JSON and leaves no deployment behind", async () => {
    const r = await p.api("POST", "/api/v1/deployments", '{"functionName": ', { "content-type": "application/json" });
    assert.equal(r.status, 400);
    assert.equal(r.json.error.code, "InvalidRequestContent");
    assert.deepEqual((await p.api("GET", "/api/v1/deployments?functionName=val")).json.deployments, []);
  });

  test("documents the deployments API in the OpenAPI document", async () => {
    const doc = (await (await fetch(`${p.url}/openapi.json`)).json()) as any;
    for (const path of ["/api/v1/deployments", "/api/v1/deployments/{id}", "/api/v1/deployments/{id}/pause", "/api/v1/deployments/{id}/rollback"]) {
      assert.ok(doc.paths[path], `${path} is documented`);
    }
    assert.ok(doc.components.schemas.CreateDeployment);
    assert.ok(doc.components.schemas.AnalysisConfig);
  });
});
