/** Triggers: the list, and create (type, function, config as JSON) and delete for principals that may write them. */
import { useState } from "preact/hooks";
import { useSession } from "../session.ts";
import { ConfirmButton, ErrorNote, Field, Loading, Section, described, useResult, when, DataTable } from "../ui.tsx";
import type { CreateTriggerInput } from "../../../protocol/api/triggers.ts";

const TYPES = ["Http", "Scheduled", "Queue", "Stream"];
const EXAMPLES: Record<string, string> = {
  Http: '{ "method": "GET", "path": "/hello" }',
  Scheduled: '{ "schedule": "rate(5 minutes)" }',
  Queue: '{ "broker": "redis", "source": { "stream": "orders" } }',
  Stream: '{ "broker": "nats", "source": { "subject": "events" } }',
};

export function TriggersPage() {
  const { api, can } = useSession();
  const list = useResult(() => api.triggers.list(), []);
  const [failure, setFailure] = useState<string | undefined>();
  const remove = async (id: string) => {
    const r = await api.triggers.delete(id);
    setFailure(r.ok ? undefined : `${r.error.code}: ${r.error.message}`);
    list.reload();
  };
  return (
    <>
      <h1>Triggers</h1>
      <Section title="All triggers">
        <Loading loaded={list} />
        <ErrorNote error={failure} />
        {list.value && (
          <DataTable columns={["Type", "Function", "Qualifier", "Config", "Enabled", "Created", ...(can("triggers:write") ? ["Actions"] : [])]} count={list.value.triggers.length} empty="No triggers.">
                {list.value.triggers.map((t) => (
                  <tr key={t.triggerId}>
                    <td>{t.type}</td>
                    <td>{t.functionName}</td>
                    <td>{t.qualifier ?? "—"}</td>
                    <td>
                      <code>{JSON.stringify(t.config)}</code>
                    </td>
                    <td>{t.enabled ? "yes" : "no"}</td>
                    <td>{when(t.createdAt)}</td>
                    {can("triggers:write") && (
                      <td>
                        <ConfirmButton label="Delete" confirm="Confirm delete" onConfirm={() => remove(t.triggerId)} />
                      </td>
                    )}
                  </tr>
                ))}
                
              </DataTable>
        )}
      </Section>
      {can("triggers:write") && <CreateTrigger onCreated={list.reload} />}
    </>
  );
}

function CreateTrigger({ onCreated }: { onCreated: () => void }) {
  const { api } = useSession();
  const [form, setForm] = useState({ type: "Scheduled", functionName: "", qualifier: "", config: EXAMPLES.Scheduled! });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [failure, setFailure] = useState<string | undefined>();
  const set = (k: keyof typeof form) => (e: Event) => {
    const value = (e.target as HTMLInputElement).value;
    setForm(k === "type" ? { ...form, type: value, config: EXAMPLES[value] ?? "{}" } : { ...form, [k]: value });
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    const errs: Record<string, string> = {};
    let config: unknown;
    try {
      config = JSON.parse(form.config);
    } catch (err) {
      errs.config = `Not JSON: ${(err as Error).message}`;
    }
    if (!form.functionName.trim()) errs.functionName = "Required";
    setErrors(errs);
    if (Object.keys(errs).length) return;
    const body = { type: form.type, functionName: form.functionName.trim(), config, ...(form.qualifier.trim() ? { qualifier: form.qualifier.trim() } : {}) } as CreateTriggerInput;
    const r = await api.triggers.create(body);
    if (!r.ok) return setFailure(`${r.error.code}: ${r.error.message}`);
    setFailure(undefined);
    onCreated();
  };
  return (
    <Section title="Create a trigger">
      <form onSubmit={submit} class="grid-form" noValidate>
        <Field label="Type" id="tr-type">
          <select id="tr-type" value={form.type} onChange={set("type")}>
            {TYPES.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </Field>
        <Field label="Function" id="tr-fn" error={errors.functionName}>
          <input {...described("tr-fn", errors.functionName)} value={form.functionName} onInput={set("functionName")} />
        </Field>
        <Field label="Qualifier (optional)" id="tr-q">
          <input id="tr-q" value={form.qualifier} onInput={set("qualifier")} />
        </Field>
        <Field label="Config (JSON)" id="tr-config" error={errors.config}>
          <textarea {...described("tr-config", errors.config)} class="code" rows={3} value={form.config} onInput={set("config")} />
        </Field>
        <div class="actions">
          <button type="submit">Create trigger</button>
        </div>
      </form>
      <ErrorNote error={failure} />
    </Section>
  );
}
