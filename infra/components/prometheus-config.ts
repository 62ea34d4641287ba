/**
 * prometheus.yml for HotSwap (JSON, which is YAML), apart from the Pulumi component so the
 * real-Prometheus test (tests/observability) runs the very config `pulumi up` deploys. Two jobs:
 *
 *   hotswap-control-plane  GET /metrics with an API key that has metrics:read (a viewer key) as bearer
 *   hotswap-runners        GET /metrics with the cluster secret (HOTSWAP_CLUSTER_SECRET) as bearer;
 *                          label `pool`, which the runners' own series carry too (honor_labels)
 *
 * Credentials are read from files (`authorization.credentials_file`), mounted from secrets, so the
 * config itself holds none. On Kubernetes, pod discovery keeps pods by component and by pool name,
 * so a pool added to the stack is scraped without touching this; on Docker the containers' names
 * are the targets.
 */

export interface ScrapeTargets {
  /** The control plane's workload name and metrics port. */
  controlPlane: { name: string; port: number };
  /** Every runner pool: its name, its replicas' host names (Docker) and metrics port. */
  runnerPools: Array<{ name: string; hosts: string[]; port: number }>;
}

/** Where the Observability component mounts the scrape credentials in the Prometheus container. */
export const PROMETHEUS_SECRETS_DIR = "/etc/prometheus/secrets";
/** File names of the two bearer credentials under the secrets directory. */
export const SCRAPE_CREDENTIAL_FILES = { controlPlane: "control-plane-token", runners: "cluster-secret" } as const;

export interface PrometheusConfigOptions {
  scrape: ScrapeTargets;
  kind: "docker" | "kubernetes";
  namespace?: string;
  /** Directory holding SCRAPE_CREDENTIAL_FILES. @default PROMETHEUS_SECRETS_DIR */
  credentialsDir?: string;
  /** @default "15s" */
  scrapeInterval?: string;
  /** @default ["/etc/prometheus/rules/*.yml", "/etc/prometheus/rules/*.yaml"] */
  ruleFiles?: string[];
  /** Also scrape Prometheus itself at localhost:9090. @default true */
  selfScrape?: boolean;
}

export function prometheusConfig(opts: PrometheusConfigOptions): string {
  const { scrape, kind, namespace } = opts;
  const dir = opts.credentialsDir ?? PROMETHEUS_SECRETS_DIR;
  const bearer = (file: string) => ({ authorization: { type: "Bearer", credentials_file: `${dir}/${file}` } });
  const pod = (component: string, extra: object[] = []) => ({
    kubernetes_sd_configs: [{ role: "pod", namespaces: { names: [namespace] } }],
    relabel_configs: [
      { source_labels: ["__meta_kubernetes_pod_label_app_kubernetes_io_component"], regex: component, action: "keep" },
      { source_labels: ["__meta_kubernetes_pod_container_port_name"], regex: "http", action: "keep" },
      ...extra,
      { source_labels: ["__meta_kubernetes_pod_name"], target_label: "pod" },
    ],
  });
  const pools = scrape.runnerPools.map((p) => p.name);
  const interval = opts.scrapeInterval ?? "15s";
  const controlPlane = { job_name: "hotswap-control-plane", metrics_path: "/metrics", ...bearer(SCRAPE_CREDENTIAL_FILES.controlPlane) };
  const runners = { job_name: "hotswap-runners", metrics_path: "/metrics", honor_labels: true, ...bearer(SCRAPE_CREDENTIAL_FILES.runners) };
  const config = {
    global: { scrape_interval: interval, evaluation_interval: interval },
    rule_files: opts.ruleFiles ?? ["/etc/prometheus/rules/*.yml", "/etc/prometheus/rules/*.yaml"],
    scrape_configs: [
      ...(opts.selfScrape === false ? [] : [{ job_name: "prometheus", static_configs: [{ targets: ["localhost:9090"] }] }]),
      kind === "kubernetes"
        ? { ...controlPlane, ...pod("control-plane") }
        : { ...controlPlane, static_configs: [{ targets: [`${scrape.controlPlane.name}:${scrape.controlPlane.port}`] }] },
      kind === "kubernetes"
        ? {
            ...runners,
            ...pod("runner", [
              { source_labels: ["__meta_kubernetes_pod_label_hotswap_dev_pool"], regex: pools.length ? `(${pools.join("|")})` : "^$", action: "keep" },
              { source_labels: ["__meta_kubernetes_pod_label_hotswap_dev_pool"], target_label: "pool" },
            ]),
          }
        : {
            ...runners,
            static_configs: scrape.runnerPools
              .filter((p) => p.hosts.length > 0)
              .map((p) => ({ targets: p.hosts.map((h) => `${h}:${p.port}`), labels: { pool: p.name } })),
          },
    ],
  };
  return JSON.stringify(config, null, 2) + "\n";
}
