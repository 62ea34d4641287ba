/** The audit trail (admins): who changed what and when, filtered by actor, action or resource, page by page. */
import { useState } from "preact/hooks";
import type { AuditEntry } from "../../../protocol/api/audit.ts";
import { useSession } from "../session.ts";
import { ErrorNote, Section, when, DataTable } from "../ui.tsx";
import { useEffect } from "preact/hooks";

export function AuditPage() {
  const { api } = useSession();
  const [filters, setFilters] = useState({ actor: "", action: "", resource: "" });
  const [applied, setApplied] = useState(filters);
  const [entries, setEntries] = useState<AuditEntry[]>([]);
  const [cursor, setCursor] = useState<string | undefined>();
  const [failure, setFailure] = useState<string | undefined>();
  const load = async (after?: string) => {
    const q = Object.fromEntries(Object.entries(applied).filter(([, v]) => v.trim()));
    const r = await api.audit.list({ ...q, limit: 50, ...(after ? { cursor: after } : {}) });
    if (!r.ok) return setFailure(`${r.error.code}: ${r.error.message}`);
    setFailure(undefined);
    setEntries((es) => (after ? [...es, ...r.value.entries] : r.value.entries));
    setCursor(r.value.nextCursor);
  };
  useEffect(() => {
    void load();
  }, [applied]);
  const field = (k: keyof typeof filters, label: string, placeholder: string) => (
    <>
      <label for={`au-${k}`}>{label}</label>
      <input id={`au-${k}`} value={filters[k]} placeholder={placeholder} onInput={(e) => setFilters({ ...filters, [k]: (e.target as HTMLInputElement).value })} />
    </>
  );
  return (
    <>
      <h1>Audit</h1>
      <Section title="Management writes">
        <form
          class="toolbar"
          onSubmit={(e) => {
            e.preventDefault();
            setApplied({ ...filters });
          }}
        >
          {field("actor", "Actor", "key:abcd1234")}
          {field("action", "Action", "function.*")}
          {field("resource", "Resource", "function:hello")}
          <button type="submit">Filter</button>
        </form>
        <ErrorNote error={failure} />
        <DataTable columns={["When", "Actor", "Action", "Resource", "Request"]} count={entries.length} empty="No entries.">
              {entries.map((e) => (
                <tr key={e.id}>
                  <td>{when(e.at)}</td>
                  <td>{e.actor}</td>
                  <td>{e.action}</td>
                  <td>
                    {e.resource.type}:{e.resource.id}
                  </td>
                  <td>
                    <code>{e.requestId?.slice(0, 8) ?? "—"}</code>
                  </td>
                </tr>
              ))}
              
            </DataTable>
        {cursor && (
          <button type="button" onClick={() => load(cursor)}>
            Older entries
          </button>
        )}
      </Section>
    </>
  );
}
