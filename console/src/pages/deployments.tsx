/** Deployments: the list (filter by function) and the start form, each strategy's fields validated before sending. */
import { useState } from "preact/hooks";
import type { DeploymentStrategy } from "../../../protocol/api/deployments.ts";
import { parseDuration } from "../../../protocol/api/durations.ts";
import { useSession } from "../session.ts";
import { href, navigate } from "../router.ts";
import { ErrorNote, Field, Loading, Section, described, useResult, weightsText, when, DataTable } from "../ui.tsx";

export function DeploymentsPage() {
  const { api, can } = useSession();
  const [fn, setFn] = useState("");
  const list = useResult(() => api.deployments.list(fn ? { functionName: fn } : {}), [fn], 3000);
  return (
    <>
      <h1>Deployments</h1>
      <Section title="Recent deployments">
        <div class="toolbar">
          <label for="dep-filter">Function</label>
          <input id="dep-filter" value={fn} placeholder="all functions" onChange={(e) => setFn((e.target as HTMLInputElement).value.trim())} />
        </div>
        <Loading loaded={list} />
        {list.value && (
          <DataTable columns={["Deployment", "Function", "Alias", "Versions", "Strategy", "Status", "Traffic", "Started"]} count={list.value.deployments.length} empty="No deployments.">
                {list.value.deployments.map((d) => (
                  <tr key={d.deploymentId}>
                    <td>
                      <a href={href("deployments", d.deploymentId)}>{d.deploymentId.slice(0, 8)}</a>
                    </td>
                    <td>{d.functionName}</td>
                    <td>{d.alias}</td>
                    <td>
                      {d.fromVersion ?? "—"} → {d.toVersion}
                    </td>
                    <td>{d.strategy}</td>
                    <td>
                      <span class={`status ${d.status}`}>{d.status}</span>
                    </td>
                    <td>{weightsText(d.currentWeights)}</td>
                    <td>{when(d.createdAt)}</td>
                  </tr>
                ))}
                
              </DataTable>
        )}
      </Section>
      {can("deployments:write") && <StartDeployment />}
    </>
  );
}

type Form = Record<string, string>;

const STRATEGY_FIELDS: Record<DeploymentStrategy, Array<{ key: string; label: string; kind: "percent" | "duration" | "count" | "text"; optional?: boolean; hint?: string }>> = {
  Direct: [],
  Canary: [
    { key: "canaryPercentage", label: "Canary share (%)", kind: "percent" },
    { key: "canaryDuration", label: "Canary duration", kind: "duration", hint: "ISO-8601, e.g. PT10M" },
  ],
  Linear: [
    { key: "stepPercentage", label: "Step (%)", kind: "percent" },
    { key: "stepInterval", label: "Step interval", kind: "duration", hint: "e.g. PT1M" },
  ],
  BlueGreen: [{ key: "rollbackWindow", label: "Rollback window", kind: "duration", hint: "e.g. PT5M" }],
  Rolling: [
    { key: "batchPercentage", label: "Batch (% of runners)", kind: "percent" },
    { key: "batchInterval", label: "Batch interval", kind: "duration", hint: "e.g. PT1M" },
  ],
  ABTesting: [
    { key: "variantPercentage", label: "Variant share (%)", kind: "percent" },
    { key: "keyHeader", label: "Key header", kind: "text", hint: "e.g. x-user-id" },
  ],
};

const STRATEGIES = Object.keys(STRATEGY_FIELDS) as DeploymentStrategy[];

/** Field errors of the start form, as the API's schemas would refuse it (so the user learns before sending). */
export function validateDeployment(f: Form): Record<string, string> {
  const errs: Record<string, string> = {};
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(f.functionName ?? "")) errs.functionName = "A function name";
  if (!/^v?[1-9][0-9]*$/.test(f.version ?? "")) errs.version = "A version number such as 2";
  if (!/^[A-Za-z][A-Za-z0-9_-]{0,63}$/.test(f.alias ?? "")) errs.alias = "An alias name such as live";
  const strategy = f.strategy as DeploymentStrategy;
  for (const field of STRATEGY_FIELDS[strategy] ?? []) {
    const v = (f[field.key] ?? "").trim();
    if (!v) {
      if (!field.optional) errs[field.key] = "Required";
      continue;
    }
    if (field.kind === "percent") {
      const n = Number(v);
      const max = field.key === "canaryPercentage" || field.key === "variantPercentage" ? 100 : 100.0001;
      if (!Number.isFinite(n) || n <= 0 || n >= max) errs[field.key] = max === 100 ? "More than 0 and less than 100" : "More than 0, at most 100";
    } else if (field.kind === "duration") {
      const ms = parseDuration(v);
      if (ms === undefined) errs[field.key] = `"${v}" is not an ISO-8601 duration; write e.g. PT30S or PT10M`;
      else if (ms < (field.key === "rollbackWindow" ? 0 : 1000)) errs[field.key] = "At least 1 second";
      else if (ms > 86_400_000) errs[field.key] = "At most one day";
    }
  }
  const rate = Number(f.maxErrorRate);
  if (f.maxErrorRate && !(rate >= 0 && rate <= 1)) errs.maxErrorRate = "A share from 0 to 1, e.g. 0.05";
  if (f.maxP99LatencyMs && !(Number(f.maxP99LatencyMs) > 0)) errs.maxP99LatencyMs = "Milliseconds, more than 0";
  const interval = f.interval ? parseDuration(f.interval) : 30_000;
  if (interval === undefined || interval < 1000 || interval > 3600_000) errs.interval = "An ISO-8601 duration from PT1S to PT1H";
  return errs;
}

function configOf(f: Form): Record<string, unknown> {
  const strategy = f.strategy as DeploymentStrategy;
  const out: Record<string, unknown> = {};
  for (const field of STRATEGY_FIELDS[strategy]) {
    const v = (f[field.key] ?? "").trim();
    if (!v) continue;
    if (field.key === "keyHeader") out.key = { header: v };
    else out[field.key] = field.kind === "percent" ? Number(v) : v;
  }
  return out;
}

function StartDeployment() {
  const { api } = useSession();
  const [form, setForm] = useState<Form>({ functionName: "", version: "", alias: "live", strategy: "Canary", canaryPercentage: "10", canaryDuration: "PT5M", maxErrorRate: "0.05", interval: "PT30S", maxP99LatencyMs: "" });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [failure, setFailure] = useState<string | undefined>();
  const set = (k: string) => (e: Event) => setForm({ ...form, [k]: (e.target as HTMLInputElement).value });
  const submit = async (e: Event) => {
    e.preventDefault();
    const errs = validateDeployment(form);
    setErrors(errs);
    if (Object.keys(errs).length) return;
    const analysis: Record<string, unknown> = { maxErrorRate: Number(form.maxErrorRate || 0.05), interval: form.interval || "PT30S" };
    if (form.maxP99LatencyMs) analysis.maxP99LatencyMs = Number(form.maxP99LatencyMs);
    const r = await api.deployments.create({
      functionName: form.functionName!,
      version: Number(form.version!.replace(/^v/, "")),
      alias: form.alias!,
      strategy: form.strategy as DeploymentStrategy,
      config: configOf(form),
      analysis,
    });
    if (!r.ok) return setFailure(`${r.error.code}: ${r.error.message}`);
    navigate("deployments", r.value.deploymentId);
  };
  const input = (key: string, label: string, hint?: string) => (
    <Field label={label} id={`dep-${key}`} error={errors[key]} hint={hint}>
      <input {...described(`dep-${key}`, errors[key], hint)} value={form[key] ?? ""} onInput={set(key)} />
    </Field>
  );
  return (
    <Section title="Start a deployment">
      <form onSubmit={submit} class="grid-form" noValidate aria-label="Start a deployment">
        {input("functionName", "Function")}
        {input("version", "Version")}
        {input("alias", "Alias")}
        <Field label="Strategy" id="dep-strategy">
          <select id="dep-strategy" value={form.strategy} onChange={set("strategy")}>
            {STRATEGIES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </Field>
        {STRATEGY_FIELDS[form.strategy as DeploymentStrategy].map((f) => input(f.key, f.label, f.hint))}
        {input("maxErrorRate", "Max error rate (0-1)")}
        {input("maxP99LatencyMs", "Max p99 (ms, optional)")}
        {input("interval", "Analysis window", "e.g. PT30S")}
        <div class="actions">
          <button type="submit">Start deployment</button>
        </div>
      </form>
      <ErrorNote error={failure} />
    </Section>
  );
}
