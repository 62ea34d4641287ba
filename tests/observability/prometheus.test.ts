/**
 * A real Prometheus (Debian's package) scrapes a real platform under traffic, with the scrape
 * config `pulumi up` deploys (infra/components/prometheus-config.ts: bearer credentials from
 * files, 1 s interval here) and the shipped rule file evaluated. The control plane runs with its
 * embedded runner (job hotswap-control-plane); a fleet runner agent beside it is scraped as job
 * hotswap-runners. After success, error, cold-start and throttle traffic and two rollouts judged
 * by analysis.prometheus against this Prometheus (a faulty version rolled back by a metric, a
 * healthy one promoted), every PromQL expression in dashboards/*.json and every rule returns
 * data, and promtool accepts the rules and their unit tests.
 *
 * Needs `prometheus` and `promtool` (scripts/ci/ensure-prometheus.sh) and Redis for the runner
 * agent; without them it skips with the reason, and under CI=true it fails.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { after, before, describe, test } from "node:test";
import { createLogger } from "../../shared/logger.ts";
import { loadRunnerConfig } from "../../runner/src/config.ts";
import { startRunnerAgent, type RunningRunner } from "../../runner/src/fleet/runner-agent.ts";
import { prometheusConfig, SCRAPE_CREDENTIAL_FILES } from "../../infra/components/prometheus-config.ts";
import { startPlatform, type TestPlatform } from "../support/platform.ts";
import { TEST_REDIS_URL, serviceSkipReason } from "../support/services.ts";
import { waitFor } from "../support/wait-for.ts";
import { queryInstant } from "../../platform/src/deployments/prometheus-query.ts";
import { generateApiKey } from "../../platform/src/auth/api-key.ts";
import { deployFunction, invokeFunction, nodeCode } from "../support/deploy.ts";
import { CODE, createLiveFunction, finished, startDeployment, waitForDeployment } from "../rollouts/support.ts";
import { dashboardExpressions, ruleExpressions, type Expression } from "./promql-catalog.ts";
import { prometheusSkipReason, startPrometheus, type RunningPrometheus } from "./prometheus-process.ts";

const REPO = resolve(import.meta.dirname, "../..");
const RULES = join(REPO, "dashboards/alerts/hotswap.rules.yml");
const skip = prometheusSkipReason() ?? (await serviceSkipReason("redis", TEST_REDIS_URL));

/** Error ratio of the version under analysis; `or vector(0)` so a version without errors reads 0, not "no data". */
const ERROR_RATE =
  '(sum(rate(hotswap_invocations_total{function="{{function}}",version="{{version}}",outcome!="success"}[{{interval}}])) or vector(0))' +
  ' / sum(rate(hotswap_invocations_total{function="{{function}}",version="{{version}}"}[{{interval}}]))';

describe("a real Prometheus scraping HotSwap", { skip, timeout: 90_000 }, () => {
  const started = Date.now();
  let p: TestPlatform;
  let runner: RunningRunner;
  let prom: RunningPrometheus;
  let runnerDir: string;
  const clusterSecret = randomBytes(24).toString("hex");
  // The viewer key Prometheus scrapes with, as `pulumi up` configures it (HOTSWAP_METRICS_KEY).
  const metricsKey = generateApiKey().key;

  before(async () => {
    // One nodejs20 stem of 256 MB: a 256 MB function's cold start specialises it (kind "stem").
    p = await startPlatform("embedded", { HOTSWAP_METRICS_KEY: metricsKey, RUNNER_STEMS: "1", RUNNER_STEM_RUNTIMES: "nodejs20", RUNNER_STEM_MEMORY_MB: "256" });
    runnerDir = await mkdtemp(join(tmpdir(), "hs-obs-runner-"));
    const config = loadRunnerConfig(
      {
        REDIS_URL: TEST_REDIS_URL,
        HOTSWAP_REDIS_PREFIX: `hs-obs-${randomBytes(4).toString("hex")}:`,
        HOTSWAP_CLUSTER_SECRET: clusterSecret,
        RUNNER_LISTEN: "127.0.0.1:0",
        RUNNER_POOL: "obs",
        RUNNER_ID: `obs-${randomBytes(4).toString("hex")}`,
        RUNNER_STEMS: "0",
        HOTSWAP_DATA_DIR: runnerDir,
        HOTSWAP_CODE_DIR: join(runnerDir, "code"),
      },
      { hostname: hostname() },
    );
    runner = await startRunnerAgent(config, createLogger("silent"));
    const runnerPort = Number(new URL(runner.url).port);
    prom = await startPrometheus(
      (dir) =>
        prometheusConfig({
          kind: "docker",
          scrape: { controlPlane: { name: "127.0.0.1", port: p.server.port }, runnerPools: [{ name: "obs", hosts: ["127.0.0.1"], port: runnerPort }] },
          credentialsDir: dir,
          scrapeInterval: "1s",
          ruleFiles: [RULES],
          selfScrape: false,
        }),
      { [SCRAPE_CREDENTIAL_FILES.controlPlane]: metricsKey, [SCRAPE_CREDENTIAL_FILES.runners]: clusterSecret },
    );
  });

  after(async () => {
    await prom?.stop();
    await runner?.drain();
    await p?.close();
    if (runnerDir) await rm(runnerDir, { recursive: true, force: true });
  });

  test("the control plane's /metrics needs an API key with metrics:read, and serves the embedded runner's series too", async () => {
    assert.equal((await fetch(`${p.url}/metrics`)).status, 401);
    const viewer = { authorization: `Bearer ${metricsKey}` };
    const write = await fetch(`${p.url}/api/v1/functions`, { method: "POST", headers: { ...viewer, "content-type": "application/json" }, body: "{}" });
    assert.equal(write.status, 403, "HOTSWAP_METRICS_KEY is a viewer key: it reads, never writes");
    const res = await fetch(`${p.url}/metrics`, { headers: viewer });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    for (const name of ["hotswap_runner_instances", "hotswap_runner_budget_instances", "process_resident_memory_bytes", "hotswap_deployments_total"]) {
      assert.match(text, new RegExp(`^# TYPE ${name} `, "m"), name);
    }
    assert.match(text, /^hotswap_runner_instances\{pool="embedded",state="idle"\} \d+$/m);
    assert.equal(text.match(/^# TYPE process_resident_memory_bytes /gm)?.length, 1, "process metrics are served once, not per registry");
  });

  test("a fleet runner's /metrics takes the cluster secret (as bearer token, as Prometheus sends it) and nothing else", async () => {
    assert.equal((await fetch(`${runner.url}/metrics`)).status, 401);
    assert.equal((await fetch(`${runner.url}/metrics`, { headers: { authorization: "Bearer not-the-secret" } })).status, 401);
    assert.equal((await fetch(`${runner.url}/metrics`, { headers: { "x-hotswap-cluster-secret": clusterSecret } })).status, 200, "the control plane's header works too");
    const res = await fetch(`${runner.url}/metrics`, { headers: { authorization: `Bearer ${clusterSecret}` } });
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.match(text, /^hotswap_runner_budget_instances\{pool="obs"\} \d+$/m);
    assert.match(text, /^# TYPE process_cpu_user_seconds_total counter$/m);
  });

  test("traffic shows up in Prometheus: successes, function errors, cold starts, throttles and GB-seconds", async () => {
    await deployFunction(p, { name: "obs-ok", code: nodeCode(CODE.ok()), memorySize: 256 });
    await deployFunction(p, { name: "obs-fail", code: nodeCode(CODE.broken()), memorySize: 128 });
    await deployFunction(p, { name: "obs-throttled", code: nodeCode(CODE.ok()), reservedConcurrency: 0 });
    for (let i = 0; i < 10; i++) assert.equal((await invokeFunction(p, "obs-ok", { i })).status, 200);
    for (let i = 0; i < 4; i++) assert.equal((await invokeFunction(p, "obs-fail")).status, 500, "a handler error");
    assert.equal((await invokeFunction(p, "obs-throttled")).status, 429);
    const value = async (expr: string) => Number((await prom.query(expr))[0]?.value[1] ?? NaN);
    await waitFor("the invocations to be scraped", async () => (await value('sum(hotswap_invocations_total{function="obs-ok",outcome="success"})')) === 10, { timeoutMs: 10_000, intervalMs: 250 });
    assert.equal(await value('hotswap_invocations_total{function="obs-fail",version="1",outcome="function_error"}'), 4);
    assert.equal(await value('hotswap_cold_starts_total{function="obs-ok",kind="stem"}'), 1, "the 256 MB function took the stem");
    assert.equal(await value('hotswap_cold_starts_total{function="obs-fail",kind="fresh"}'), 1);
    assert.equal(await value('hotswap_throttles_total{function="obs-throttled"}'), 1);
    assert.equal((await prom.query('hotswap_invocations_total{function="obs-throttled"}')).length, 0, "a throttle is not an invocation");
    assert.equal(await value('hotswap_invocation_duration_seconds_count{function="obs-ok",version="1"}'), 10);
    await waitFor("the embedded runner's stem and idle instances to be scraped", async () => {
      const idle = await value('hotswap_runner_instances{job="hotswap-control-plane",pool="embedded",state="idle"}');
      return idle >= 2 && (await value('hotswap_runner_instances{pool="embedded",state="stem"}')) === 1;
    }, { timeoutMs: 10_000, intervalMs: 250 });
    const gbs = await value('hotswap_gb_seconds_total{function="obs-ok",version="1"}');
    assert.ok(gbs >= (10 * 0.001 * 256) / 1024, `GB-seconds ${gbs}: at least 1 ms × 256 MB per invocation`);
  });

  test("analysis.prometheus rolls a faulty version back by its metric and promotes a healthy one", async () => {
    await createLiveFunction(p, "obs-good", [CODE.ok("v1"), CODE.ok("v2")]);
    await createLiveFunction(p, "obs-bad", [CODE.ok("v1"), CODE.broken()]);
    // maxErrorRate 1 turns the built-in error check off: only the Prometheus metric can roll back.
    const analysis = {
      interval: "PT4S",
      minRequests: 3,
      maxErrorRate: 1,
      prometheus: { address: prom.url, bearerToken: "sent-but-unused", metrics: [{ name: "error-rate", query: ERROR_RATE, thresholdMax: 0.1 }] },
    };
    const canary = { canaryPercentage: 50, canaryDuration: "PT6S" };
    const good = await startDeployment(p, { functionName: "obs-good", version: 2, strategy: "Canary", config: canary, analysis });
    const bad = await startDeployment(p, { functionName: "obs-bad", version: 2, strategy: "Canary", config: canary, analysis });
    let done = false;
    const load = (async () => {
      while (!done) {
        await Promise.all([invokeFunction(p, "obs-good"), invokeFunction(p, "obs-bad")]);
        await new Promise((r) => setTimeout(r, 30));
      }
    })();
    try {
      const [g, b] = await Promise.all([waitForDeployment(p, good, finished, 40_000), waitForDeployment(p, bad, finished, 40_000)]);
      assert.equal(b.status, "RolledBack", b.reason);
      assert.match(b.reason, /^Prometheus metric "error-rate" is (1|0\.9\d*), above its thresholdMax 0\.1$/);
      assert.equal(g.status, "Succeeded", `${g.reason}; events: ${g.events.map((e: any) => e.reason).join(" | ")}`);
      assert.ok(
        g.events.some((e: any) => /^Prometheus metrics passed: error-rate=0$/.test(e.reason)),
        `the healthy version passed on Prometheus data: ${g.events.map((e: any) => e.reason).join(" | ")}`,
      );
      assert.equal(g.analysis.prometheus.bearerToken, "***", "the bearer token is never shown");
    } finally {
      done = true;
      await load;
    }
  });

  test("the query client passes on Prometheus's error for a bad query and refuses a result that is not one number", async () => {
    const target = { address: prom.url, timeoutMs: 5000 };
    const bad = await queryInstant(target, "sum(");
    assert.equal(bad.ok, false);
    assert.match(!bad.ok ? bad.error : "", new RegExp(`^Prometheus at ${prom.url} answered HTTP 400: .*parse error`));
    const many = await queryInstant(target, "up");
    assert.deepEqual(many, { ok: false, error: "the query returned 2 series; it must return one number (aggregate it, e.g. with sum())" });
    assert.deepEqual(await queryInstant(target, 'sum(up{job="hotswap-runners"})'), { ok: true, value: 1 });
    assert.deepEqual(await queryInstant(target, 'up{job="no-such-job"}'), { ok: true, value: null });
  });

  test("an unreachable Prometheus rolls the deployment back after failAfterErrors consecutive failed intervals", async () => {
    await createLiveFunction(p, "obs-blind", [CODE.ok("v1"), CODE.ok("v2")]);
    const id = await startDeployment(p, {
      functionName: "obs-blind",
      version: 2,
      strategy: "Canary",
      config: { canaryPercentage: 10, canaryDuration: "PT60S" },
      analysis: { interval: "PT1S", prometheus: { address: "http://127.0.0.1:1", failAfterErrors: 2, metrics: [{ name: "error-rate", query: ERROR_RATE, thresholdMax: 0.1 }] } },
    });
    const d = await waitForDeployment(p, id, finished, 15_000);
    assert.equal(d.status, "RolledBack");
    assert.match(d.reason, /^Prometheus analysis failed: metric "error-rate": Prometheus at http:\/\/127\.0\.0\.1:1 is unreachable: .+; 2 consecutive failed analysis intervals reached failAfterErrors 2$/);
  });

  test("every dashboard panel, dashboard variable, recording rule and alert expression returns data", async () => {
    const expressions: Expression[] = [...dashboardExpressions(join(REPO, "dashboards")), ...ruleExpressions(RULES)];
    assert.ok(expressions.length >= 15, `found ${expressions.length} expressions`);
    const empty = new Map<string, string>();
    await waitFor(
      "every expression to return data",
      async () => {
        empty.clear();
        for (const e of expressions) {
          try {
            if ((await prom.query(e.probe)).length === 0) empty.set(e.where, e.probe);
          } catch (err) {
            empty.set(e.where, `${e.probe}: ${(err as Error).message}`);
          }
        }
        return empty.size === 0;
      },
      { timeoutMs: 20_000, intervalMs: 500, show: () => [...empty].map(([w, q]) => `${w}: ${q}`).join("\n") },
    );
    // The rollback above makes the rollback alert fire (it has no `for`); the others must not.
    const alerts = await waitFor(
      "HotSwapRolloutRolledBack to fire for both rolled-back functions",
      async () => ((await prom.api("/api/v1/alerts")).alerts as any[]).filter((a) => a.state === "firing"),
      { until: (a) => a.filter((x) => x.labels.alertname === "HotSwapRolloutRolledBack").length >= 2, timeoutMs: 10_000, intervalMs: 250 },
    );
    assert.deepEqual(alerts.map((a) => `${a.labels.alertname}:${a.labels.function}`).sort(), ["HotSwapRolloutRolledBack:obs-bad", "HotSwapRolloutRolledBack:obs-blind"]);
    const targets = (await prom.api("/api/v1/targets")).activeTargets as any[];
    assert.deepEqual(targets.map((t) => [t.labels.job, t.health]).sort(), [["hotswap-control-plane", "up"], ["hotswap-runners", "up"]]);
  });

  test("promtool checks the rules and passes their unit tests", async () => {
    const run = promisify(execFile);
    assert.match((await run("promtool", ["check", "rules", RULES])).stdout, /SUCCESS: \d+ rules found/);
    assert.match((await run("promtool", ["test", "rules", "alert-rules.promtool.yml"], { cwd: join(REPO, "tests/infra") })).stdout, /SUCCESS/);
    assert.ok(Date.now() - started < 90_000, `the suite took ${Date.now() - started} ms`);
  });
});
