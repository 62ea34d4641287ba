/**
 * One deployment, live (followed over Server-Sent Events, GET /api/v1/deployments/{id}/events): traffic weights over time, each
 * analysis window's error rate and p99 against the thresholds, the events, and the commands the
 * principal may give (pause, resume, promote, rollback, approve).
 */
import { useEffect, useState } from "preact/hooks";
import type { DeploymentView } from "../../../protocol/api/deployments.ts";
import { EventStreamRefused } from "../../../client/sse.ts";
import type { ApiFailure } from "../../../client/result.ts";
import { useSession } from "../session.ts";
import { href } from "../router.ts";
import { LineChart } from "../chart.tsx";
import { ErrorNote, Loading, Section, percent, weightsText, when, DataTable, type Loaded } from "../ui.tsx";

const ACTIVE = new Set(["PendingApproval", "Pending", "InProgress", "Paused"]);

/** The deployment's view as the API pushes it: at once, then on every change until it has finished. */
function useLiveDeployment(id: string): Loaded<DeploymentView> {
  const { api } = useSession();
  const [state, setState] = useState<{ value?: DeploymentView; error?: ApiFailure; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const stop = new AbortController();
    void (async () => {
      try {
        for await (const e of api.deployments.follow(id, { signal: stop.signal })) if (e.type === "deployment") setState({ value: e.view, loading: false });
      } catch (err) {
        if (stop.signal.aborted) return;
        const failure: ApiFailure = err instanceof EventStreamRefused ? err.failure : { status: 0, code: "Unreachable", message: (err as Error).message };
        setState((s) => ({ value: s.value, error: failure, loading: false }));
      }
    })();
    return () => stop.abort();
  }, [id, tick]);
  return { ...state, reload: () => setTick((t) => t + 1) };
}

export function DeploymentPage({ id }: { id: string }) {
  const d = useLiveDeployment(id);
  return (
    <>
      <p class="crumbs">
        <a href={href("deployments")}>Deployments</a> / {id.slice(0, 8)}
      </p>
      <h1>Deployment {id.slice(0, 8)}</h1>
      <Loading loaded={d} />
      {d.value && <View d={d.value} onCommand={d.reload} />}
    </>
  );
}

function View({ d, onCommand }: { d: DeploymentView; onCommand: () => void }) {
  const { api, can } = useSession();
  const [failure, setFailure] = useState<string | undefined>();
  const active = ACTIVE.has(d.status);
  const command = async (name: "pause" | "resume" | "promote" | "rollback" | "approve") => {
    const r = name === "approve" ? await api.deployments.approve(d.deploymentId) : await api.deployments[name](d.deploymentId, { reason: `from the console` });
    setFailure(r.ok ? undefined : `${r.error.code}: ${r.error.message}`);
    onCommand();
  };
  const newVersion = String(d.toVersion);
  const weightPoints: Array<[number, number]> = [];
  for (const e of d.events) if (e.weights) weightPoints.push([Date.parse(e.at), (e.weights[newVersion] ?? 0) * 100]);
  weightPoints.push([Date.parse(d.updatedAt), (d.currentWeights[newVersion] ?? 0) * 100]);
  const analysis = d.analysis as { maxErrorRate?: number; maxP99LatencyMs?: number };
  const windows = d.events.filter((e) => e.type === "analysis" && e.data && "target" in e.data);
  return (
    <>
      <Section title="Status">
        <dl class="facts">
          <dt>Function</dt>
          <dd>
            <a href={href("functions", d.functionName)}>{d.functionName}</a> / {d.alias}
          </dd>
          <dt>Versions</dt>
          <dd>
            {d.fromVersion ?? "—"} → {d.toVersion} ({d.strategy})
          </dd>
          <dt>Status</dt>
          <dd>
            <span class={`status ${d.status}`} data-testid="dep-status">
              {d.status}
            </span>{" "}
            {d.phase}
            {d.pendingCommand ? ` (${d.pendingCommand} pending)` : ""}
          </dd>
          <dt>Traffic</dt>
          <dd data-testid="dep-weights">{weightsText(d.currentWeights)}</dd>
          {d.reason && (
            <>
              <dt>Reason</dt>
              <dd>{d.reason}</dd>
            </>
          )}
        </dl>
        <div class="actions" role="group" aria-label="Deployment commands">
          {can("deployments:write") && d.status === "InProgress" && <button onClick={() => command("pause")}>Pause</button>}
          {can("deployments:write") && d.status === "Paused" && <button onClick={() => command("resume")}>Resume</button>}
          {can("deployments:write") && active && d.status !== "PendingApproval" && <button onClick={() => command("promote")}>Promote</button>}
          {can("deployments:write") && active && (
            <button class="danger" onClick={() => command("rollback")}>
              Roll back
            </button>
          )}
          {can("deployments:approve") && d.status === "PendingApproval" && <button onClick={() => command("approve")}>Approve</button>}
        </div>
        <ErrorNote error={failure} />
      </Section>
      <Section title="Traffic on the new version">
        <LineChart title={`Share of traffic on v${d.toVersion} (%)`} unit="%" yMax={100} step series={[{ name: `v${d.toVersion}`, points: weightPoints }]} />
      </Section>
      <Section title="Analysis windows">
        <p class="meta">
          Thresholds: error rate ≤ {analysis.maxErrorRate ?? "—"}
          {analysis.maxP99LatencyMs ? `, p99 ≤ ${analysis.maxP99LatencyMs} ms` : ""}. Current {d.metrics.windowSeconds} s window:{" "}
          {Object.entries(d.metrics.current)
            .map(([v, s]) => `v${v} ${s.requests} req, errors ${s.errorRate === null ? "—" : percent(s.errorRate)}, p99 ${s.p99 ?? "—"} ms`)
            .join("; ") || "no traffic"}
        </p>
        <DataTable columns={["Window end", "Requests", "Error rate", "p99 (ms)", "Verdict"]} count={windows.length} empty="No window judged yet.">
              {windows.map((e, i) => {
                const data = e.data as { window?: { to: string }; target: { requests: number; errorRate: number | null; p99: number | null }; verdict?: string };
                const over = (v: number | null, max?: number) => (v !== null && max !== undefined && v > max ? "breach" : undefined);
                return (
                  <tr key={i}>
                    <td>{when(data.window?.to ?? e.at)}</td>
                    <td>{data.target.requests}</td>
                    <td class={over(data.target.errorRate, analysis.maxErrorRate)}>{data.target.errorRate === null ? "—" : percent(data.target.errorRate)}</td>
                    <td class={over(data.target.p99, analysis.maxP99LatencyMs)}>{data.target.p99 ?? "—"}</td>
                    <td>{data.verdict ?? e.reason}</td>
                  </tr>
                );
              })}
              
            </DataTable>
      </Section>
      <Section title="Events">
        <ol class="events" aria-live="polite">
          {d.events.map((e, i) => (
            <li key={i}>
              <time dateTime={e.at}>{when(e.at)}</time> <strong>{e.type}</strong>
              {e.toStatus ? ` ${e.fromStatus ?? ""} → ${e.toStatus}` : ""}
              {e.weights ? ` · ${weightsText(e.weights)}` : ""}
              {e.reason ? ` · ${e.reason}` : ""}
            </li>
          ))}
        </ol>
      </Section>
    </>
  );
}
