/**
 * Observability: Jaeger takes OTLP from the control plane and runners; Prometheus finds the control
 * plane and every runner pool and loads the alert rules; Grafana is provisioned from dashboards/.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { container, dockerContainers, isSecret, k8sObject, k8sObjects, k8sRaw, podSpec, run, valueOf, REPO_ROOT } from "./support/infra.ts";

const { Observability } = await import("../../infra/components/observability.ts");
const { KubernetesEnvironment } = await import("../../infra/targets/kubernetes-environment.ts");
const { DockerEnvironment } = await import("../../infra/targets/docker.ts");

const scrape = {
  controlPlane: { name: "control-plane", port: 8080 },
  runnerPools: [
    { name: "default", hosts: ["runner-default-0", "runner-default-1"], port: 8081 },
    { name: "gpu", hosts: ["runner-gpu"], port: 8081 },
  ],
};
const METRICS_KEY = `hs_metrics01_${"m".repeat(40)}`;
const scrapeCredentials = { metricsKey: METRICS_KEY, clusterSecret: "cluster-secret-value-0123456789" };
const onKubernetes = (args: Record<string, unknown> = {}) =>
  run(() => new Observability("obs", { host: new KubernetesEnvironment("env", { namespace: "hs" }).host, scrape, scrapeCredentials, ...args }));

/** Both HotSwap jobs scrape /metrics with a bearer token read from the mounted secret files. */
function assertScrapeAuth(config: any): void {
  const job = (name: string) => config.scrape_configs.find((j: any) => j.job_name === name);
  assert.deepEqual(
    config.scrape_configs.map((j: any) => j.job_name),
    ["prometheus", "hotswap-control-plane", "hotswap-runners"],
  );
  for (const [name, file] of [["hotswap-control-plane", "control-plane-token"], ["hotswap-runners", "cluster-secret"]]) {
    assert.equal(job(name).metrics_path, "/metrics", name);
    assert.deepEqual(job(name).authorization, { type: "Bearer", credentials_file: `/etc/prometheus/secrets/${file}` }, name);
  }
  assert.equal(job("hotswap-runners").honor_labels, true, "the runners' own pool label is kept");
  assert.doesNotMatch(JSON.stringify(config), /cluster-secret-value|hs_metrics01/, "no credential in prometheus.yml");
}

test("Jaeger ingests OTLP from the control plane and runners only; its UI is open", async () => {
  const { mocks, result } = await onKubernetes();
  assert.equal(await valueOf(result.otlpEndpoint), "http://jaeger:4318");
  const ports = container(k8sObject(mocks, "Deployment", "jaeger"), "jaeger").ports.map((p: any) => [p.name, p.containerPort]);
  assert.deepEqual(ports, [["otlp-http", 4318], ["otlp-grpc", 4317], ["ui", 16686], ["admin", 14269]]);
  const ingress = k8sObject(mocks, "NetworkPolicy", "jaeger").spec.ingress;
  assert.deepEqual(ingress[0].ports.map((p: any) => p.port), [4317, 4318]);
  assert.deepEqual(ingress[0].from.map((f: any) => f.podSelector.matchLabels["hotswap.dev/role"]), ["control-plane", "runner"]);
  assert.equal(ingress[1].from, undefined);
});

test("on Kubernetes, Prometheus discovers control-plane pods and the pods of every runner pool", async () => {
  const { mocks, result } = await onKubernetes();
  const config = JSON.parse(k8sObject(mocks, "ConfigMap", "prometheus-config").data["prometheus.yml"]);
  assert.deepEqual(config, JSON.parse(result.prometheusConfig));
  const job = (name: string) => config.scrape_configs.find((j: any) => j.job_name === name);
  for (const [name, component] of [["hotswap-control-plane", "control-plane"], ["hotswap-runners", "runner"]]) {
    assert.deepEqual(job(name).kubernetes_sd_configs, [{ role: "pod", namespaces: { names: ["hs"] } }]);
    assert.deepEqual(job(name).relabel_configs[0], { source_labels: ["__meta_kubernetes_pod_label_app_kubernetes_io_component"], regex: component, action: "keep" });
  }
  const poolKeep = job("hotswap-runners").relabel_configs.find((r: any) => r.source_labels[0] === "__meta_kubernetes_pod_label_hotswap_dev_pool" && r.action === "keep");
  assert.equal(poolKeep.regex, "(default|gpu)");
  assert.ok(job("hotswap-runners").relabel_configs.some((r: any) => r.target_label === "pool"));
  assert.deepEqual(config.rule_files, ["/etc/prometheus/rules/*.yml", "/etc/prometheus/rules/*.yaml"]);
  assertScrapeAuth(config);
});

test("on Kubernetes, the scrape credentials are a Secret mounted under /etc/prometheus/secrets, not a ConfigMap", async () => {
  const { mocks } = await onKubernetes();
  const secret = k8sRaw(mocks, "Secret", "prometheus-scrape-credentials");
  assert.ok(isSecret(secret.inputs.stringData), "the Secret's data is a secret output");
  assert.deepEqual(k8sObject(mocks, "Secret", "prometheus-scrape-credentials").stringData, {
    "control-plane-token": METRICS_KEY,
    "cluster-secret": "cluster-secret-value-0123456789",
  });
  assert.equal(k8sObjects(mocks, "ConfigMap").has("prometheus-scrape-credentials"), false);
  const set = k8sObject(mocks, "StatefulSet", "prometheus");
  const volume = podSpec(set).volumes.find((v: any) => v.secret?.secretName === "prometheus-scrape-credentials");
  assert.equal(volume.secret.defaultMode, 0o440);
  const mount = container(set, "prometheus").volumeMounts.find((m: any) => m.name === volume.name);
  assert.deepEqual([mount.mountPath, mount.readOnly], ["/etc/prometheus/secrets", true]);
});

test("refuses to deploy Prometheus without scrape credentials, with an exact message", async () => {
  await assert.rejects(run(() => new Observability("obs", { host: new KubernetesEnvironment("env", { namespace: "hs" }).host, scrape } as any)), {
    message:
      'Observability "obs": scrapeCredentials.metricsKey and scrapeCredentials.clusterSecret are required: Prometheus scrapes the control plane with a viewer API key and the runners with the cluster secret',
  });
});

test("Prometheus may only read pods in its namespace, and keeps its data on a PVC", async () => {
  const { mocks } = await onKubernetes({ storage: "20 GB", retention: "30 days" });
  assert.deepEqual(k8sObject(mocks, "Role", "prometheus").rules, [{ apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] }]);
  const binding = k8sObject(mocks, "RoleBinding", "prometheus");
  assert.deepEqual(binding.subjects, [{ kind: "ServiceAccount", name: "prometheus", namespace: "hs" }]);
  assert.deepEqual(binding.roleRef, { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "prometheus" });
  assert.equal(k8sObject(mocks, "ServiceAccount", "prometheus").automountServiceAccountToken, true);
  const set = k8sObject(mocks, "StatefulSet", "prometheus");
  assert.equal(set.spec.volumeClaimTemplates[0].spec.resources.requests.storage, "20Gi");
  assert.ok(container(set, "prometheus").args.includes("--storage.tsdb.retention.time=30d"));
  assert.equal(podSpec(set).securityContext.fsGroup, 65534);
  const rules = k8sObject(mocks, "ConfigMap", "prometheus-rules").data;
  assert.equal(rules["hotswap.rules.yml"], readFileSync(`${REPO_ROOT}dashboards/alerts/hotswap.rules.yml`, "utf8"));
  assert.equal(k8sObject(mocks, "Role", "prometheus").metadata.namespace, "hs");
});

test("Grafana is off by default, and when on is provisioned with both data sources and the dashboards", async () => {
  const off = await onKubernetes();
  assert.equal(off.mocks.resources.some((r) => r.name.includes("grafana")), false);
  const { mocks, result } = await onKubernetes({ grafana: true });
  const sources = JSON.parse(k8sObject(mocks, "ConfigMap", "grafana-datasources").data["hotswap.yaml"]).datasources;
  assert.deepEqual(sources.map((s: any) => [s.uid, s.url]), [["prometheus", "http://prometheus:9090"], ["jaeger", "http://jaeger:16686"]]);
  const dashboards = k8sObject(mocks, "ConfigMap", "grafana-dashboards").data;
  assert.equal(JSON.parse(dashboards["hotswap-overview.json"]).uid, "hotswap-overview");
  assert.ok(isSecret(k8sRaw(mocks, "Secret", "grafana-env").inputs.stringData));
  assert.match(await valueOf(result.grafanaAdminPassword!), /^[A-Za-z0-9]{24}$/);
});

test("on Docker, Prometheus scrapes the containers of every pool by name and the UIs are published on loopback", async () => {
  const { mocks, result } = await run(() => new Observability("obs", { host: new DockerEnvironment("env", { namePrefix: "hs" }).host, scrape, scrapeCredentials, grafana: true }));
  const config = JSON.parse(result.prometheusConfig);
  const job = (name: string) => config.scrape_configs.find((j: any) => j.job_name === name);
  assert.deepEqual(job("hotswap-control-plane").static_configs, [{ targets: ["control-plane:8080"] }]);
  assert.deepEqual(job("hotswap-runners").static_configs, [
    { targets: ["runner-default-0:8081", "runner-default-1:8081"], labels: { pool: "default" } },
    { targets: ["runner-gpu:8081"], labels: { pool: "gpu" } },
  ]);
  const containers = dockerContainers(mocks);
  const published = (name: string) => containers.get(name)!.ports.map((p: any) => `${p.ip}:${p.external}->${p.internal}`);
  assert.deepEqual(published("hs-jaeger"), ["127.0.0.1:16686->16686"]);
  assert.deepEqual(published("hs-prometheus"), ["127.0.0.1:9090->9090"]);
  assert.deepEqual(published("hs-grafana"), ["127.0.0.1:3000->3000"]);
  const uploads = containers.get("hs-prometheus")!.uploads.map((u: any) => u.file);
  assert.deepEqual(uploads, [
    "/etc/prometheus/prometheus.yml",
    "/etc/prometheus/rules/hotswap.rules.yml",
    "/etc/prometheus/secrets/control-plane-token",
    "/etc/prometheus/secrets/cluster-secret",
  ]);
  assertScrapeAuth(config);
  assert.equal(await valueOf(result.jaegerUrl), "http://127.0.0.1:16686");
});

test("refuses a retention Prometheus cannot read, with an exact message", async () => {
  await assert.rejects(onKubernetes({ retention: "2 weeks" }), {
    message: 'Observability "obs": retention must be a duration like "30 seconds", "10 minutes" or "15 days"',
  });
});
