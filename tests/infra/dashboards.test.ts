/**
 * dashboards/: the Prometheus alert rules pass `promtool check rules` and their unit tests
 * (alert-rules.promtool.yml), and the Grafana dashboard is well-formed and uses the provisioned
 * Prometheus data source. Needs Debian's `prometheus` package for promtool
 * (`apt-get install -y prometheus`); under CI=true a missing promtool fails instead of skipping.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { promisify } from "node:util";
import { REPO_ROOT } from "./support/infra.ts";

const IS_CI = process.env.CI === "true" || process.env.CI === "1";
function promtoolMissing(): string | undefined {
  try {
    execFileSync("promtool", ["--version"], { stdio: "ignore" });
    return undefined;
  } catch {
    const reason = "promtool is not installed; install it with: apt-get install -y prometheus";
    if (IS_CI) throw new Error(`CI=true and ${reason}`);
    return reason;
  }
}
const skip = promtoolMissing();
const promtool = (args: string[], cwd = REPO_ROOT) => promisify(execFile)("promtool", args, { cwd });

test("the alert rules pass promtool check rules", { skip }, async () => {
  const { stdout } = await promtool(["check", "rules", "dashboards/alerts/hotswap.rules.yml"]);
  assert.match(stdout, /SUCCESS: \d+ rules found/);
});

test("the alert rules fire as their promtool unit tests expect", { skip }, async () => {
  const { stdout } = await promtool(["test", "rules", "alert-rules.promtool.yml"], `${REPO_ROOT}tests/infra`);
  assert.match(stdout, /SUCCESS/);
});

test("promtool rejects a broken rule file (so the checks above can fail)", { skip }, async () => {
  const { writeFile, mkdtemp, rm } = await import("node:fs/promises");
  const dir = await mkdtemp(`${REPO_ROOT}tests/infra/.tmp-rules-`);
  try {
    await writeFile(`${dir}/bad.yml`, "groups:\n  - name: x\n    rules:\n      - alert: Bad\n        expr: rate(up[5m]\n");
    await assert.rejects(promtool(["check", "rules", `${dir}/bad.yml`]));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("every dashboard is Grafana JSON with a uid, and queries the provisioned Prometheus data source", () => {
  const files = readdirSync(`${REPO_ROOT}dashboards`).filter((f) => f.endsWith(".json"));
  assert.ok(files.length >= 1);
  for (const file of files) {
    const dashboard = JSON.parse(readFileSync(`${REPO_ROOT}dashboards/${file}`, "utf8"));
    assert.match(dashboard.uid, /^[a-z0-9-]{1,40}$/, `${file} has a stable uid`);
    assert.ok(dashboard.title && dashboard.schemaVersion >= 30, `${file} has a title and a current schema`);
    assert.ok(dashboard.panels.length > 0);
    const ids = dashboard.panels.map((p: { id: number }) => p.id);
    assert.equal(new Set(ids).size, ids.length, `${file} panel ids are unique`);
    for (const panel of dashboard.panels) {
      assert.deepEqual(panel.datasource, { type: "prometheus", uid: "prometheus" }, `${file}: ${panel.title}`);
      assert.ok(panel.targets.length > 0 && panel.targets.every((t: { expr: string }) => t.expr.length > 0), `${file}: ${panel.title} has queries`);
    }
  }
});
