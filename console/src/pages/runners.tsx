/** Runners: health, capacity, load and warm instances per function version, refreshed every 3 s. */
import { useSession } from "../session.ts";
import { Loading, Section, useResult, when, DataTable } from "../ui.tsx";

export function RunnersPage() {
  const { api } = useSession();
  const list = useResult(() => api.runners.list(), [], 3000);
  return (
    <>
      <h1>Runners</h1>
      <Section title="Live runners">
        <Loading loaded={list} />
        {list.value && (
          <DataTable columns={["Runner", "Status", "Backend", "Capacity", "Load", "Warm instances", "Heartbeat"]} count={list.value.runners.length} empty="No live runners.">
                {list.value.runners.map((r) => (
                  <tr key={r.id}>
                    <td>
                      <code>{r.id}</code>
                      <br />
                      <small>{r.pool}</small>
                    </td>
                    <td>
                      <span class={r.healthy ? "status Succeeded" : "status Failed"}>{r.status}</span>
                    </td>
                    <td>{r.backend}</td>
                    <td>
                      {r.capacity.memoryMb ?? "∞"} MB, {r.capacity.maxInstances ?? "∞"} instances
                    </td>
                    <td>
                      {r.load.inflight} in flight, {r.load.instances} instances, {r.load.memoryMb} MB
                    </td>
                    <td>
                      {r.warm.length === 0
                        ? "none"
                        : r.warm.map((w) => (
                            <div key={`${w.function}:${w.version}`}>
                              {w.function} v{w.version}: {w.warm}/{w.instances} warm, {w.inflight} in flight
                            </div>
                          ))}
                    </td>
                    <td>{r.heartbeatAgeMs === null ? "—" : `${Math.round(r.heartbeatAgeMs / 1000)} s ago`}<br /><small>{when(r.lastHeartbeatAt)}</small></td>
                  </tr>
                ))}
                
              </DataTable>
        )}
      </Section>
    </>
  );
}
