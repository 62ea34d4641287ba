/**
 * One function: tabs for its overview (charts), versions (drag-and-drop zip upload), aliases and
 * their weights, the invoke panel, live logs and its configuration (edit, delete).
 */
import { useState } from "preact/hooks";
import { useSession } from "../session.ts";
import { href, navigate } from "../router.ts";
import { ConfirmButton, ErrorNote, Field, Loading, Section, described, useResult } from "../ui.tsx";
import { Overview } from "./function-metrics.tsx";
import { Aliases, Versions } from "./function-code.tsx";
import { InvokePanel, LogsPanel } from "./function-run.tsx";
import type { FunctionView } from "../../../protocol/api/functions.ts";

const TABS: Array<{ id: string; label: string; permission: string }> = [
  { id: "overview", label: "Overview", permission: "functions:read" },
  { id: "versions", label: "Versions", permission: "versions:read" },
  { id: "aliases", label: "Aliases", permission: "aliases:read" },
  { id: "invoke", label: "Invoke", permission: "functions:invoke" },
  { id: "logs", label: "Logs", permission: "logs:read" },
  { id: "configure", label: "Configure", permission: "functions:read" },
];

export function FunctionPage({ name, tab }: { name: string; tab: string }) {
  const { api, can } = useSession();
  const fn = useResult(() => api.functions.get(name), [name]);
  const tabs = TABS.filter((t) => can(t.permission));
  return (
    <>
      <p class="crumbs">
        <a href={href("functions")}>Functions</a> / {name}
      </p>
      <h1>{name}</h1>
      <Loading loaded={fn} />
      {fn.value && (
        <>
          <p class="meta">
            {fn.value.runtime} · {fn.value.handler} · {fn.value.memorySize} MB · {fn.value.timeout} s · latest version {fn.value.latestVersion ?? "none"}
          </p>
          <nav aria-label="Function sections" class="tabs">
            <ul>
              {tabs.map((t) => (
                <li key={t.id}>
                  <a href={href("functions", name, t.id)} aria-current={t.id === tab ? "page" : undefined}>
                    {t.label}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
          {tab === "overview" && <Overview name={name} />}
          {tab === "versions" && <Versions name={name} onPublished={fn.reload} />}
          {tab === "aliases" && <Aliases name={name} />}
          {tab === "invoke" && <InvokePanel name={name} />}
          {tab === "logs" && <LogsPanel name={name} />}
          {tab === "configure" && <Configure fn={fn.value} onSaved={fn.reload} />}
        </>
      )}
    </>
  );
}

function Configure({ fn, onSaved }: { fn: FunctionView; onSaved: () => void }) {
  const { api, can } = useSession();
  const envText = (e: Record<string, string>) =>
    Object.entries(e)
      .map(([k, v]) => `${k}=${v}`)
      .join("\n");
  const [form, setForm] = useState({ handler: fn.handler, memorySize: String(fn.memorySize), timeout: String(fn.timeout), description: fn.description, env: envText(fn.environment) });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [result, setResult] = useState<string | undefined>();
  const [failure, setFailure] = useState<string | undefined>();
  const writable = can("functions:write");
  const set = (k: keyof typeof form) => (e: Event) => setForm({ ...form, [k]: (e.target as HTMLInputElement).value });
  const save = async (e: Event) => {
    e.preventDefault();
    const errs: Record<string, string> = {};
    const environment: Record<string, string> = {};
    for (const line of form.env.split("\n").map((l) => l.trim()).filter(Boolean)) {
      const eq = line.indexOf("=");
      if (eq <= 0) errs.env = `"${line}" is not KEY=VALUE`;
      else environment[line.slice(0, eq)] = line.slice(eq + 1);
    }
    const memorySize = Number(form.memorySize);
    const timeout = Number(form.timeout);
    if (!Number.isInteger(memorySize) || memorySize < 64) errs.memorySize = "A whole number of MB, at least 64";
    if (!Number.isInteger(timeout) || timeout < 1) errs.timeout = "A whole number of seconds, at least 1";
    setErrors(errs);
    if (Object.keys(errs).length) return;
    const r = await api.functions.update(fn.name, { handler: form.handler, memorySize, timeout, description: form.description, environment });
    if (!r.ok) return setFailure(`${r.error.code}: ${r.error.message}`);
    setFailure(undefined);
    setResult("Saved. New versions use these settings.");
    onSaved();
  };
  const remove = async () => {
    const r = await api.functions.delete(fn.name);
    if (!r.ok) return setFailure(`${r.error.code}: ${r.error.message}`);
    navigate("functions");
  };
  return (
    <Section title="Configuration">
      <form onSubmit={save} class="grid-form" noValidate>
        <Field label="Handler" id="cfg-handler">
          <input id="cfg-handler" value={form.handler} onInput={set("handler")} disabled={!writable} />
        </Field>
        <Field label="Memory (MB)" id="cfg-memory" error={errors.memorySize}>
          <input {...described("cfg-memory", errors.memorySize)} value={form.memorySize} onInput={set("memorySize")} disabled={!writable} />
        </Field>
        <Field label="Timeout (s)" id="cfg-timeout" error={errors.timeout}>
          <input {...described("cfg-timeout", errors.timeout)} value={form.timeout} onInput={set("timeout")} disabled={!writable} />
        </Field>
        <Field label="Description" id="cfg-description">
          <input id="cfg-description" value={form.description} onInput={set("description")} disabled={!writable} />
        </Field>
        <Field label="Environment (KEY=VALUE per line)" id="cfg-env" error={errors.env}>
          <textarea {...described("cfg-env", errors.env)} rows={4} value={form.env} onInput={set("env")} disabled={!writable} />
        </Field>
        {writable && (
          <div class="actions">
            <button type="submit">Save configuration</button>
            <ConfirmButton label="Delete function" confirm={`Really delete ${fn.name}?`} onConfirm={remove} />
          </div>
        )}
      </form>
      {result && <p role="status">{result}</p>}
      <ErrorNote error={failure} />
    </Section>
  );
}
