/**
 * Functions: the list (search; runtime, latest version, the `live` alias, invocations and errors
 * since the start of the previous UTC hour, from the usage API) and the create form.
 */
import { useState } from "preact/hooks";
import type { UsageSummary } from "../../../protocol/api/usage.ts";
import type { AliasView } from "../../../protocol/api/aliases.ts";
import { useSession } from "../session.ts";
import { href, navigate } from "../router.ts";
import { ErrorNote, Field, Loading, Section, described, useResult, weightsText, DataTable } from "../ui.tsx";

export function FunctionsPage() {
  const { api, can } = useSession();
  const [query, setQuery] = useState("");
  const list = useResult(() => api.functions.list(), []);
  // Usage comes in whole UTC hours: from the start of the hour an hour ago, so the last full hour is always in.
  const since = new Date(Math.floor((Date.now() - 3600_000) / 3600_000) * 3600_000);
  const hourAgo = since.toISOString().replace(/\.\d+Z$/, "Z");
  const sinceText = since.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  const usage = useResult<UsageSummary | undefined>(async () => (can("usage:read") ? api.usage({ from: hourAgo, granularity: "hour" }) : { ok: true as const, status: 200, value: undefined }), []);
  const names = (list.value?.functions ?? []).map((f) => f.name).join(",");
  const live = useResult(async () => {
    const out: Record<string, AliasView | null> = {};
    if (can("aliases:read")) {
      await Promise.all(
        names
          .split(",")
          .filter(Boolean)
          .map(async (n) => {
            // The list, not GET .../aliases/live: a function without one would answer 404, an error in the browser's console.
            const r = await api.aliases.list(n);
            out[n] = r.ok ? (r.value.aliases.find((a) => a.name === "live") ?? null) : null;
          }),
      );
    }
    return { ok: true as const, status: 200, value: out };
  }, [names]);
  const shown = (list.value?.functions ?? []).filter((f) => f.name.includes(query.trim()) || f.runtime.includes(query.trim()));
  const perFn = new Map((usage.value?.functions ?? []).map((u) => [u.functionName, u]));
  return (
    <>
      <h1>Functions</h1>
      <Section title="All functions">
        <div class="toolbar">
          <label for="fn-search">Search</label>
          <input id="fn-search" type="search" value={query} placeholder="name or runtime" onInput={(e) => setQuery((e.target as HTMLInputElement).value)} />
        </div>
        <Loading loaded={list} />
        {list.value && (
          <DataTable columns={["Name", "Runtime", "Latest", "live", `Invocations since ${sinceText}`, `Errors since ${sinceText}`]} count={shown.length} empty={query ? "No function matches." : "No functions yet."}>
                {shown.map((f) => {
                  const a = live.value?.[f.name];
                  const u = perFn.get(f.name);
                  return (
                    <tr key={f.name}>
                      <td>
                        <a href={href("functions", f.name)}>{f.name}</a>
                      </td>
                      <td>{f.runtime}</td>
                      <td>{f.latestVersion ?? "—"}</td>
                      <td>{a ? weightsText(aliasWeights(a)) : "—"}</td>
                      <td>{u?.invocations ?? 0}</td>
                      <td>{u?.errors ?? 0}</td>
                    </tr>
                  );
                })}
                
              </DataTable>
        )}
      </Section>
      {can("functions:write") && <CreateFunction />}
    </>
  );
}

/** The traffic split of an alias: its version gets what the additional weights leave. */
export function aliasWeights(a: AliasView): Record<string, number> {
  const extra = a.routingConfig.additionalVersionWeights;
  const rest = 1 - Object.values(extra).reduce((s, w) => s + w, 0);
  return { ...extra, [String(a.version)]: Math.max(0, rest) };
}

function CreateFunction() {
  const { api } = useSession();
  const runtimes = useResult(() => api.system.runtimes(), []);
  const [form, setForm] = useState({ name: "", runtime: "nodejs20", handler: "index.handler", memorySize: "256", timeout: "30" });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [failure, setFailure] = useState<string | undefined>();
  const set = (k: keyof typeof form) => (e: Event) => setForm({ ...form, [k]: (e.target as HTMLInputElement).value });
  const submit = async (e: Event) => {
    e.preventDefault();
    const errs: Record<string, string> = {};
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(form.name)) errs.name = "1-64 letters, digits, - or _";
    if (!form.handler.trim()) errs.handler = "Required, e.g. index.handler";
    const mem = Number(form.memorySize);
    if (!Number.isInteger(mem) || mem < 64) errs.memorySize = "A whole number of MB, at least 64";
    const timeout = Number(form.timeout);
    if (!Number.isInteger(timeout) || timeout < 1) errs.timeout = "A whole number of seconds, at least 1";
    setErrors(errs);
    if (Object.keys(errs).length) return;
    const r = await api.functions.create({ name: form.name, runtime: form.runtime, handler: form.handler.trim(), memorySize: mem, timeout });
    if (!r.ok) return setFailure(`${r.error.code}: ${r.error.message}`);
    navigate("functions", r.value.name);
  };
  return (
    <Section title="Create a function">
      <form onSubmit={submit} class="grid-form" noValidate>
        <Field label="Name" id="fn-name" error={errors.name}>
          <input {...described("fn-name", errors.name)} value={form.name} onInput={set("name")} required />
        </Field>
        <Field label="Runtime" id="fn-runtime">
          <select id="fn-runtime" value={form.runtime} onChange={set("runtime")}>
            {(runtimes.value?.runtimes ?? [{ id: form.runtime, available: true }]).map((r) => (
              <option key={r.id} value={r.id}>
                {r.id}
                {r.available ? "" : " (unavailable)"}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Handler" id="fn-handler" error={errors.handler}>
          <input {...described("fn-handler", errors.handler)} value={form.handler} onInput={set("handler")} />
        </Field>
        <Field label="Memory (MB)" id="fn-memory" error={errors.memorySize}>
          <input {...described("fn-memory", errors.memorySize)} inputMode="numeric" value={form.memorySize} onInput={set("memorySize")} />
        </Field>
        <Field label="Timeout (s)" id="fn-timeout" error={errors.timeout}>
          <input {...described("fn-timeout", errors.timeout)} inputMode="numeric" value={form.timeout} onInput={set("timeout")} />
        </Field>
        <div class="actions">
          <button type="submit">Create function</button>
        </div>
      </form>
      <ErrorNote error={failure} />
    </Section>
  );
}
