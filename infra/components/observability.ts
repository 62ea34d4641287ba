/**
 * Observability: Jaeger (OTLP/HTTP ingest on :4318, UI on :16686) and Prometheus, whose scrape
 * config finds the control plane and every runner pool (pod discovery in the namespace on
 * Kubernetes, the containers' names on Docker) and loads the alert rules in dashboards/alerts.
 * Optionally Grafana, provisioned with both data sources and the dashboards in dashboards/.
 */
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { toPrometheusDuration, type Duration, type Size } from "../units.ts";
import type { WorkloadHost } from "../targets/workload.ts";
import { REPO_ROOT } from "./images.ts";
import { ArgsCheck } from "./validate.ts";
import { prometheusConfig, PROMETHEUS_SECRETS_DIR, SCRAPE_CREDENTIAL_FILES, type ScrapeTargets } from "./prometheus-config.ts";

export const OBSERVABILITY_IMAGES = {
  jaeger: "jaegertracing/all-in-one:1.65.0",
  prometheus: "prom/prometheus:v2.55.1",
  grafana: "grafana/grafana:11.4.0",
};

export { prometheusConfig, type ScrapeTargets } from "./prometheus-config.ts";

/** The bearer credentials Prometheus scrapes with (mounted from a secret, never in prometheus.yml). */
export interface ScrapeCredentials {
  /** A viewer API key (the control plane's HOTSWAP_METRICS_KEY): GET /metrics needs metrics:read. */
  metricsKey: pulumi.Input<string>;
  /** HOTSWAP_CLUSTER_SECRET: runners serve /metrics to it only. */
  clusterSecret: pulumi.Input<string>;
}

export interface ObservabilityArgs {
  /**
   * Where Jaeger, Prometheus and Grafana run.
   * @default (required)
   * @example new KubernetesEnvironment("env").host
   */
  host: WorkloadHost;
  /**
   * What Prometheus scrapes.
   * @example { controlPlane: { name: "control-plane", port: 8080 }, runnerPools: [{ name: "default", hosts: ["runner-default"], port: 8081 }] }
   * @default (required)
   */
  scrape: ScrapeTargets;
  /**
   * How Prometheus authenticates: the control plane's metrics key and the runners' cluster secret,
   * sent as `Authorization: Bearer` (files under /etc/prometheus/secrets, from a Secret on Kubernetes).
   * @default (required)
   * @example { metricsKey: controlPlane.metricsKey, clusterSecret: controlPlane.clusterSecret }
   */
  scrapeCredentials: ScrapeCredentials;
  /**
   * How long Prometheus keeps samples.
   * @default "15 days"
   * @example "30 days"
   */
  retention?: Duration;
  /**
   * Prometheus volume size.
   * @default "10 GB"
   * @example "50 GB"
   */
  storage?: Size;
  /**
   * Run Grafana, provisioned with Prometheus and Jaeger data sources and the dashboards in `dashboardsDir`.
   * @default false
   * @example true
   */
  grafana?: boolean;
  /**
   * Directory with Grafana dashboards (`*.json`) and Prometheus alert rules (`alerts/*.yml`).
   * @default "<repository>/dashboards"
   * @example "./my-dashboards"
   */
  dashboardsDir?: string;
  /**
   * Docker only: host ports for the UIs, bound to the loopback.
   * @default { jaeger: 16686, prometheus: 9090, grafana: 3000 }
   * @example { grafana: 3001 }
   */
  ports?: { jaeger?: number; prometheus?: number; grafana?: number };
  /**
   * Image overrides.
   * @default { jaeger: "jaegertracing/all-in-one:1.65.0", prometheus: "prom/prometheus:v2.55.1", grafana: "grafana/grafana:11.4.0" }
   * @example { prometheus: "prom/prometheus:v3.5.0" }
   */
  images?: Partial<typeof OBSERVABILITY_IMAGES>;
}

export class Observability extends pulumi.ComponentResource {
  /** OTLP/HTTP endpoint for OTEL_EXPORTER_OTLP_ENDPOINT. */
  readonly otlpEndpoint: pulumi.Output<string>;
  /** Jaeger UI: published on Docker, in-cluster on Kubernetes. */
  readonly jaegerUrl: pulumi.Output<string>;
  readonly prometheusUrl: pulumi.Output<string>;
  readonly grafanaUrl?: pulumi.Output<string>;
  /** Grafana `admin` password (secret). */
  readonly grafanaAdminPassword?: pulumi.Output<string>;
  /** The generated prometheus.yml. */
  readonly prometheusConfig: string;

  constructor(name: string, args: ObservabilityArgs, opts?: pulumi.ComponentResourceOptions) {
    const check = new ArgsCheck("Observability", name);
    if (!args.host) check.fail("host is required");
    if (!args.scrape?.controlPlane) check.fail("scrape.controlPlane is required");
    if (!args.scrapeCredentials?.metricsKey || !args.scrapeCredentials?.clusterSecret) {
      check.fail("scrapeCredentials.metricsKey and scrapeCredentials.clusterSecret are required: Prometheus scrapes the control plane with a viewer API key and the runners with the cluster secret");
    }
    if (args.retention !== undefined) check.duration("retention", args.retention);
    if (args.storage !== undefined) check.size("storage", args.storage);
    for (const [key, port] of Object.entries(args.ports ?? {})) check.int(`ports.${key}`, port, 1, 65535);
    const dashboardsDir = args.dashboardsDir ?? join(REPO_ROOT, "dashboards");
    if (!existsSync(dashboardsDir)) check.fail(`dashboardsDir "${dashboardsDir}" does not exist`);
    super("hotswap:index:Observability", name, {}, opts);

    const { host, scrape, retention = "15 days", storage = "10 GB", grafana = false } = args;
    const images = { ...OBSERVABILITY_IMAGES, ...args.images };
    const ports = { jaeger: 16686, prometheus: 9090, grafana: 3000, ...args.ports };
    const docker = host.kind === "docker";

    const jaeger = host.deploy(this, `${name}-jaeger`, {
      name: "jaeger",
      component: "jaeger",
      role: "observability",
      image: images.jaeger,
      env: { COLLECTOR_OTLP_ENABLED: "true", MEMORY_MAX_TRACES: "100000" },
      ports: [
        { name: "otlp-http", port: 4318 },
        { name: "otlp-grpc", port: 4317 },
        { name: "ui", port: 16686 },
        { name: "admin", port: 14269 },
      ],
      readiness: { http: { path: "/", port: 14269 } },
      liveness: { http: { path: "/", port: 14269 }, initialDelaySeconds: 10 },
      replicas: 1,
      admit: [
        { ports: [4317, 4318], from: ["control-plane", "runner"] },
        { ports: [16686], from: "any" },
      ],
      publish: docker ? [{ port: 16686, hostPort: ports.jaeger }] : undefined,
    });

    const rulesDir = join(dashboardsDir, "alerts");
    const rules = existsSync(rulesDir)
      ? Object.fromEntries(readdirSync(rulesDir).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => [f, readFileSync(join(rulesDir, f), "utf8")]))
      : {};
    this.prometheusConfig = prometheusConfig({ scrape, namespace: host.namespace, kind: host.kind });
    const prometheus = host.deploy(this, `${name}-prometheus`, {
      name: "prometheus",
      component: "prometheus",
      role: "observability",
      image: images.prometheus,
      args: [
        "--config.file=/etc/prometheus/prometheus.yml",
        "--storage.tsdb.path=/prometheus",
        `--storage.tsdb.retention.time=${toPrometheusDuration(retention)}`,
      ],
      ports: [{ name: "http", port: 9090 }],
      readiness: { http: { path: "/-/ready", port: 9090 } },
      liveness: { http: { path: "/-/healthy", port: 9090 }, initialDelaySeconds: 15 },
      dockerHealthcheck: "wget -q -O /dev/null http://127.0.0.1:9090/-/ready",
      volume: { mountPath: "/prometheus", size: storage },
      files: [
        { name: "config", mountPath: "/etc/prometheus", files: { "prometheus.yml": this.prometheusConfig } },
        { name: "rules", mountPath: "/etc/prometheus/rules", files: rules },
        {
          name: "scrape-credentials",
          mountPath: PROMETHEUS_SECRETS_DIR,
          secret: true,
          files: { [SCRAPE_CREDENTIAL_FILES.controlPlane]: args.scrapeCredentials.metricsKey, [SCRAPE_CREDENTIAL_FILES.runners]: args.scrapeCredentials.clusterSecret },
        },
      ],
      user: { uid: 65534, gid: 65534 },
      replicas: 1,
      // Pod discovery: read-only access to pods in this namespace, nothing else.
      rbac: docker ? undefined : [{ apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] }],
      publish: docker ? [{ port: 9090, hostPort: ports.prometheus }] : undefined,
    });

    this.otlpEndpoint = pulumi.output(`http://${jaeger.host}:4318`);
    this.jaegerUrl = (jaeger.publicHost ?? pulumi.output(`${jaeger.host}:16686`)).apply((h) => `http://${h}`);
    this.prometheusUrl = (prometheus.publicHost ?? pulumi.output(`${prometheus.host}:9090`)).apply((h) => `http://${h}`);

    if (grafana) {
      const dashboards = Object.fromEntries(
        readdirSync(dashboardsDir).filter((f) => f.endsWith(".json")).sort().map((f) => [f, readFileSync(join(dashboardsDir, f), "utf8")]),
      );
      this.grafanaAdminPassword = new random.RandomPassword(`${name}-grafana-password`, { length: 24, special: false }, { parent: this }).result;
      const g = host.deploy(this, `${name}-grafana`, {
        name: "grafana",
        component: "grafana",
        role: "observability",
        image: images.grafana,
        env: { GF_SECURITY_ADMIN_USER: "admin", GF_AUTH_ANONYMOUS_ENABLED: "false", GF_USERS_ALLOW_SIGN_UP: "false" },
        secretEnv: { GF_SECURITY_ADMIN_PASSWORD: this.grafanaAdminPassword },
        ports: [{ name: "http", port: 3000 }],
        readiness: { http: { path: "/api/health", port: 3000 } },
        liveness: { http: { path: "/api/health", port: 3000 }, initialDelaySeconds: 30 },
        files: [
          { name: "datasources", mountPath: "/etc/grafana/provisioning/datasources", files: { "hotswap.yaml": grafanaDatasources(prometheus.host, jaeger.host) } },
          { name: "providers", mountPath: "/etc/grafana/provisioning/dashboards", files: { "hotswap.yaml": grafanaDashboardProvider() } },
          { name: "dashboards", mountPath: "/etc/grafana/dashboards/hotswap", files: dashboards },
        ],
        user: { uid: 472, gid: 472 },
        replicas: 1,
        publish: docker ? [{ port: 3000, hostPort: ports.grafana }] : undefined,
      });
      this.grafanaUrl = (g.publicHost ?? pulumi.output(`${g.host}:3000`)).apply((h) => `http://${h}`);
    }
    this.registerOutputs({
      otlpEndpoint: this.otlpEndpoint,
      jaegerUrl: this.jaegerUrl,
      prometheusUrl: this.prometheusUrl,
      grafanaUrl: this.grafanaUrl,
      grafanaAdminPassword: this.grafanaAdminPassword,
    });
  }
}

function grafanaDatasources(prometheusHost: string, jaegerHost: string): string {
  return (
    JSON.stringify(
      {
        apiVersion: 1,
        datasources: [
          { name: "Prometheus", uid: "prometheus", type: "prometheus", access: "proxy", url: `http://${prometheusHost}:9090`, isDefault: true },
          { name: "Jaeger", uid: "jaeger", type: "jaeger", access: "proxy", url: `http://${jaegerHost}:16686` },
        ],
      },
      null,
      2,
    ) + "\n"
  );
}

function grafanaDashboardProvider(): string {
  return (
    JSON.stringify(
      { apiVersion: 1, providers: [{ name: "hotswap", folder: "HotSwap", type: "file", disableDeletion: true, options: { path: "/etc/grafana/dashboards/hotswap" } }] },
      null,
      2,
    ) + "\n"
  );
}
