import assert from "node:assert/strict";
import { test } from "node:test";
import { randomBytes } from "node:crypto";
import { SecretBox } from "../auth/secret-box.ts";
import { maskAnalysisToken, openAnalysisToken, sealAnalysisToken, type StoredPrometheusAnalysis } from "./prometheus-token.ts";

const box = new SecretBox(randomBytes(32));
const analysis = { interval: "PT30S", prometheus: { address: "http://prom:9090", bearerToken: "tok-123", timeout: "5s", failAfterErrors: 3, metrics: [{ name: "e", query: "q", thresholdMax: 1 }] } };

test("sealing replaces the token with a sealed value that opens only for the same function", () => {
  const sealed = sealAnalysisToken(analysis, "checkout", box);
  const p = sealed.prometheus as StoredPrometheusAnalysis;
  assert.equal(p.bearerToken, undefined);
  assert.ok(!JSON.stringify(sealed).includes("tok-123"));
  assert.equal(openAnalysisToken(p, "checkout", box), "tok-123");
  assert.throws(() => openAnalysisToken(p, "other", box), /Cannot decrypt/);
  assert.throws(() => openAnalysisToken(p, "checkout", new SecretBox(randomBytes(32))), /sealed under key id "[^"]+", which this server does not hold/);
  assert.throws(() => openAnalysisToken(p, "checkout", undefined), /no secret box/);
  assert.deepEqual(analysis.prometheus.bearerToken, "tok-123", "the input is not changed");
});

test("an analysis without a token is stored as given; a legacy plain token is still read", () => {
  const none = { interval: "PT30S", prometheus: { address: "http://prom:9090", timeout: "5s", failAfterErrors: 3, metrics: [] } };
  assert.equal(sealAnalysisToken(none, "f", box), none);
  assert.equal(openAnalysisToken({ ...none.prometheus, bearerToken: "plain" }, "f", undefined), "plain");
  assert.equal(openAnalysisToken(none.prometheus, "f", box), undefined);
});

test("views show the token, sealed or plain, as ***, and never the sealed value", () => {
  const shown = maskAnalysisToken(sealAnalysisToken(analysis, "f", box));
  assert.deepEqual(shown.prometheus, { address: "http://prom:9090", bearerToken: "***", timeout: "5s", failAfterErrors: 3, metrics: [{ name: "e", query: "q", thresholdMax: 1 }] });
  assert.equal((maskAnalysisToken(analysis).prometheus as { bearerToken: string }).bearerToken, "***");
  const none = { interval: "PT30S" };
  assert.equal(maskAnalysisToken(none), none);
});
