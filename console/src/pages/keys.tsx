/** API keys (admins): the list, create (the secret is shown once), revoke. */
import { useState } from "preact/hooks";
import type { KeyWithSecret } from "../../../protocol/api/keys.ts";
import { useSession } from "../session.ts";
import { ConfirmButton, ErrorNote, Field, Loading, Section, described, useResult, when, DataTable } from "../ui.tsx";

const ROLES = ["viewer", "invoker", "deployer", "admin"] as const;

export function KeysPage() {
  const { api, can } = useSession();
  const list = useResult(() => api.keys.list(), []);
  const [failure, setFailure] = useState<string | undefined>();
  const revoke = async (id: string) => {
    const r = await api.keys.revoke(id);
    setFailure(r.ok ? undefined : `${r.error.code}: ${r.error.message}`);
    list.reload();
  };
  return (
    <>
      <h1>API keys</h1>
      <Section title="Keys">
        <Loading loaded={list} />
        <ErrorNote error={failure} />
        {list.value && (
          <DataTable columns={["Id", "Name", "Role", "Functions", "Created", "Last used", "State", ...(can("keys:write") ? ["Actions"] : [])]} count={list.value.keys.length} empty="None.">
                {list.value.keys.map((k) => (
                  <tr key={k.id}>
                    <td>
                      <code>{k.id}</code>
                    </td>
                    <td>{k.name}</td>
                    <td>
                      {k.role}
                      {k.canApprove ? " (approver)" : ""}
                    </td>
                    <td>{k.functions?.join(", ") ?? "all"}</td>
                    <td>{when(k.createdAt)}</td>
                    <td>{when(k.lastUsedAt)}</td>
                    <td>{k.revokedAt ? `revoked ${when(k.revokedAt)}` : k.expiresAt && Date.parse(k.expiresAt) < Date.now() ? "expired" : "active"}</td>
                    {can("keys:write") && <td>{!k.revokedAt && <ConfirmButton label="Revoke" confirm="Confirm revoke" onConfirm={() => revoke(k.id)} />}</td>}
                  </tr>
                ))}
              </DataTable>
        )}
      </Section>
      {can("keys:write") && <CreateKey onCreated={list.reload} />}
    </>
  );
}

function CreateKey({ onCreated }: { onCreated: () => void }) {
  const { api } = useSession();
  const [form, setForm] = useState({ name: "", role: "viewer", functions: "", canApprove: false });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [failure, setFailure] = useState<string | undefined>();
  const [created, setCreated] = useState<KeyWithSecret | undefined>();
  const submit = async (e: Event) => {
    e.preventDefault();
    const errs: Record<string, string> = {};
    if (!form.name.trim()) errs.name = "Required, e.g. ci-deployer";
    setErrors(errs);
    if (Object.keys(errs).length) return;
    const functions = form.functions.split(",").map((s) => s.trim()).filter(Boolean);
    const r = await api.keys.create({ name: form.name.trim(), role: form.role as (typeof ROLES)[number], ...(functions.length ? { functions } : {}), ...(form.canApprove ? { canApprove: true } : {}) });
    if (!r.ok) return setFailure(`${r.error.code}: ${r.error.message}`);
    setFailure(undefined);
    setCreated(r.value);
    onCreated();
  };
  return (
    <Section title="Create a key">
      <form onSubmit={submit} class="grid-form" noValidate>
        <Field label="Name" id="key-name" error={errors.name}>
          <input {...described("key-name", errors.name)} value={form.name} onInput={(e) => setForm({ ...form, name: (e.target as HTMLInputElement).value })} />
        </Field>
        <Field label="Role" id="key-role">
          <select id="key-role" value={form.role} onChange={(e) => setForm({ ...form, role: (e.target as HTMLSelectElement).value })}>
            {ROLES.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
        </Field>
        <Field label="Functions (patterns, comma-separated; empty: all)" id="key-fns">
          <input id="key-fns" value={form.functions} onInput={(e) => setForm({ ...form, functions: (e.target as HTMLInputElement).value })} />
        </Field>
        <div class="field">
          <label>
            <input type="checkbox" checked={form.canApprove} onChange={(e) => setForm({ ...form, canApprove: (e.target as HTMLInputElement).checked })} /> May approve deployments
          </label>
        </div>
        <div class="actions">
          <button type="submit">Create key</button>
        </div>
      </form>
      <ErrorNote error={failure} />
      {created && (
        <div role="status" class="secret">
          <p>
            Key <code>{created.id}</code> created. Copy it now; it is not shown again:
          </p>
          <pre class="code">{created.key}</pre>
        </div>
      )}
    </Section>
  );
}
