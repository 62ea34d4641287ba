import { test } from "node:test";
import assert from "node:assert/strict";
import { tracingSettings } from "./settings.ts";
import { samplerOf } from "./tracer-provider.ts";

test("no endpoint means tracing off, whatever else is set", () => {
  assert.deepEqual(tracingSettings({ OTEL_SERVICE_NAME: "x", OTEL_TRACES_SAMPLER: "always_on" }, "svc"), { settings: { enabled: false }, issues: [] });
});

test("OTEL_EXPORTER_OTLP_ENDPOINT is a base URL: /v1/traces is appended; the traces endpoint is used as is and wins", () => {
  const base = tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://jaeger:4318/" }, "hotswap-runner").settings;
  assert.deepEqual(base, { enabled: true, tracesUrl: "http://jaeger:4318/v1/traces", serviceName: "hotswap-runner", sampler: "parentbased_always_on", ratio: 1 });
  const both = tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://a:4318", OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "https://b/custom" }, "s").settings;
  assert.equal(both.enabled && both.tracesUrl, "https://b/custom");
});

test("reads the service name, the sampler and its ratio", () => {
  const s = tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://a:4318", OTEL_SERVICE_NAME: "cp-eu", OTEL_TRACES_SAMPLER: "parentbased_traceidratio", OTEL_TRACES_SAMPLER_ARG: "0.25" }, "s").settings;
  assert.deepEqual(s, { enabled: true, tracesUrl: "http://a:4318/v1/traces", serviceName: "cp-eu", sampler: "parentbased_traceidratio", ratio: 0.25 });
});

test("OTEL_SDK_DISABLED=true turns tracing off even with an endpoint", () => {
  assert.deepEqual(tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://a:4318", OTEL_SDK_DISABLED: "true" }, "s").settings, { enabled: false });
});

test("names every invalid variable", () => {
  const { issues } = tracingSettings(
    { OTEL_EXPORTER_OTLP_ENDPOINT: "jaeger:4318", OTEL_TRACES_SAMPLER: "sometimes", OTEL_SDK_DISABLED: "yes" },
    "s",
  );
  assert.equal(issues.length, 3, issues.join("\n"));
  assert.match(issues.join("\n"), /OTEL_SDK_DISABLED: must be true or false/);
  assert.match(issues.join("\n"), /OTEL_EXPORTER_OTLP_ENDPOINT: must be an http:\/\/ or https:\/\/ URL/);
  assert.match(issues.join("\n"), /OTEL_TRACES_SAMPLER: "sometimes" is not one of always_on, always_off, traceidratio/);
  const ratio = tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://a", OTEL_TRACES_SAMPLER: "traceidratio", OTEL_TRACES_SAMPLER_ARG: "2" }, "s").issues;
  assert.deepEqual(ratio, ['OTEL_TRACES_SAMPLER_ARG: must be a number from 0 to 1 (the share of traces sampled), not "2"']);
});

test("each sampler name builds the sampler the specification names", () => {
  assert.equal(samplerOf("always_on", 1).toString(), "AlwaysOnSampler");
  assert.equal(samplerOf("always_off", 1).toString(), "AlwaysOffSampler");
  assert.equal(samplerOf("traceidratio", 0.5).toString(), "TraceIdRatioBased{0.5}");
  assert.equal(samplerOf("parentbased_always_on", 1).toString(), "ParentBased{root=AlwaysOnSampler, remoteParentSampled=AlwaysOnSampler, remoteParentNotSampled=AlwaysOffSampler, localParentSampled=AlwaysOnSampler, localParentNotSampled=AlwaysOffSampler}");
  assert.match(samplerOf("parentbased_traceidratio", 0.1).toString(), /^ParentBased\{root=TraceIdRatioBased\{0\.1\}/);
  assert.match(samplerOf("parentbased_always_off", 1).toString(), /^ParentBased\{root=AlwaysOffSampler/);
});
