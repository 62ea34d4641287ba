/**
 * Scraping as deployed: the credentials Prometheus mounts are the ones the control plane and the
 * runners check. The control plane ensures HOTSWAP_METRICS_KEY as a viewer key, and runners serve
 * /metrics to HOTSWAP_CLUSTER_SECRET; Prometheus reads both from its scrape-credentials Secret.
 * Runs the repository's k8s and dev (Docker) stacks under mocks.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { dockerContainers, dockerEnv, isSecret, run, stackConfig, unsecret, type RecordingMocks } from "./support/infra.ts";

const { parseStackConfig } = await import("../../infra/config.ts");
const { createPlatform } = await import("../../infra/program.ts");

const runStack = (stack: string) => {
  const raw = stackConfig(stack);
  return run(() => createPlatform(parseStackConfig(raw, { stack, defaultVersion: "0.1.0" })), raw, stack);
};
const secretData = (mocks: RecordingMocks, name: string) => {
  const r = mocks.resources.find((x) => x.type === "kubernetes:core/v1:Secret" && unsecret<any>(x.inputs).metadata.name === name);
  assert.ok(r, `Secret ${name} exists`);
  assert.ok(isSecret(r.inputs.stringData), `Secret ${name} is a Pulumi secret`);
  return unsecret<Record<string, string>>(r.inputs.stringData);
};

test("kubernetes: Prometheus's bearer credentials are the control plane's viewer metrics key and the runners' cluster secret", async () => {
  const { mocks } = await runStack("k8s");
  const creds = secretData(mocks, "prometheus-scrape-credentials");
  const cp = secretData(mocks, "control-plane-env");
  assert.match(creds["control-plane-token"]!, /^hs_[a-z0-9]{12}_[A-Za-z0-9]{40}$/);
  assert.equal(cp.HOTSWAP_METRICS_KEY, creds["control-plane-token"]);
  assert.notEqual(cp.HOTSWAP_METRICS_KEY, cp.HOTSWAP_ADMIN_KEY, "Prometheus does not get the admin key");
  assert.equal(cp.HOTSWAP_CLUSTER_SECRET, creds["cluster-secret"]);
  const runnerEnvs = mocks.resources.filter((x) => x.type === "kubernetes:core/v1:Secret" && /^runner-.*-env$/.test(unsecret<any>(x.inputs).metadata.name));
  assert.ok(runnerEnvs.length > 0, "the runner pools have env secrets");
  for (const r of runnerEnvs) assert.equal(unsecret<any>(r.inputs.stringData).HOTSWAP_CLUSTER_SECRET, creds["cluster-secret"]);
});

test("docker: the credential files uploaded to Prometheus match the control plane's and runners' environment", async () => {
  const { mocks } = await runStack("dev");
  const containers = dockerContainers(mocks);
  const uploads = Object.fromEntries(containers.get("hotswap-dev-prometheus")!.uploads.map((u: any) => [u.file, u.content]));
  const cp = dockerEnv(containers.get("hotswap-dev-control-plane")!);
  assert.equal(uploads["/etc/prometheus/secrets/control-plane-token"], cp.HOTSWAP_METRICS_KEY);
  assert.equal(uploads["/etc/prometheus/secrets/cluster-secret"], cp.HOTSWAP_CLUSTER_SECRET);
  assert.equal(dockerEnv(containers.get("hotswap-dev-runner-default-0")!).HOTSWAP_CLUSTER_SECRET, cp.HOTSWAP_CLUSTER_SECRET);
});
