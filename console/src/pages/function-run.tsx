/** The invoke panel (event editor; response, status, duration, cold start, log tail) and the live log tail (SSE) with a request-id filter. */
import { useEffect, useState } from "preact/hooks";
import type { FunctionLogLine } from "../../../protocol/api/logs.ts";
import type { Invocation } from "../../../client/invoke.ts";
import { useSession } from "../session.ts";
import { ErrorNote, Field, Section, described } from "../ui.tsx";

export function InvokePanel({ name }: { name: string }) {
  const { api } = useSession();
  const [event, setEvent] = useState('{\n  "name": "world"\n}');
  const [qualifier, setQualifier] = useState("");
  const [eventError, setEventError] = useState<string | undefined>();
  const [failure, setFailure] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const [answer, setAnswer] = useState<{ inv: Invocation; ms: number } | undefined>();
  const invoke = async (e: Event) => {
    e.preventDefault();
    let parsed: unknown;
    try {
      parsed = JSON.parse(event);
    } catch (err) {
      return setEventError(`Not JSON: ${(err as Error).message}`);
    }
    setEventError(undefined);
    setBusy(true);
    const started = performance.now();
    const r = await api.invoke(name, parsed, { qualifier: qualifier.trim() || undefined, logType: "Tail" });
    const ms = performance.now() - started;
    setBusy(false);
    if (!r.ok) {
      setAnswer(undefined);
      return setFailure(`${r.error.code}: ${r.error.message}`);
    }
    setFailure(undefined);
    setAnswer({ inv: r.value, ms });
  };
  return (
    <Section title="Invoke">
      <form onSubmit={invoke} noValidate>
        <Field label="Qualifier (version, alias or $LATEST; empty: live, else $LATEST)" id="inv-qualifier">
          <input id="inv-qualifier" value={qualifier} onInput={(e) => setQualifier((e.target as HTMLInputElement).value)} />
        </Field>
        <Field label="Event (JSON)" id="inv-event" error={eventError}>
          <textarea {...described("inv-event", eventError)} class="code" rows={6} value={event} onInput={(e) => setEvent((e.target as HTMLTextAreaElement).value)} spellcheck={false} />
        </Field>
        <button type="submit" disabled={busy}>
          {busy ? "Invoking…" : "Invoke"}
        </button>
      </form>
      <ErrorNote error={failure} />
      {answer && (
        <div class="invocation" aria-live="polite">
          <dl class="facts">
            <dt>Status</dt>
            <dd data-testid="inv-status">
              {answer.inv.status}
              {answer.inv.functionError ? ` (${answer.inv.functionError})` : ""}
            </dd>
            <dt>Duration</dt>
            <dd>{Math.round(answer.ms)} ms (round trip)</dd>
            <dt>Cold start</dt>
            <dd data-testid="inv-cold">{answer.inv.coldStart === undefined ? "—" : answer.inv.coldStart ? `yes${answer.inv.start ? ` (${answer.inv.start})` : ""}` : "no"}</dd>
            <dt>Version</dt>
            <dd>{answer.inv.version ?? "—"}</dd>
            <dt>Request id</dt>
            <dd>
              <code>{answer.inv.requestId ?? "—"}</code>
            </dd>
          </dl>
          <h3>Response</h3>
          <pre class="code" data-testid="inv-response">
            {answer.inv.payload === undefined ? answer.inv.body : JSON.stringify(answer.inv.payload, null, 2)}
          </pre>
          <h3>Log tail</h3>
          <pre class="code" data-testid="inv-log">
            {answer.inv.logResult ?? "(no log lines)"}
          </pre>
        </div>
      )}
    </Section>
  );
}

export function LogsPanel({ name }: { name: string }) {
  const { api } = useSession();
  const [requestId, setRequestId] = useState("");
  const [filter, setFilter] = useState("");
  const [lines, setLines] = useState<Array<{ id: string; line: FunctionLogLine }>>([]);
  const [state, setState] = useState<"connecting" | "live" | "ended">("connecting");
  const [failure, setFailure] = useState<string | undefined>();
  useEffect(() => {
    const stop = new AbortController();
    setLines([]);
    setState("connecting");
    setFailure(undefined);
    void (async () => {
      try {
        const tail = api.logs.follow(name, { requestId: filter || undefined, limit: 200 }, { signal: stop.signal });
        setState("live");
        for await (const ev of tail) {
          if (ev.type === "end") {
            setState("ended");
            setFailure(ev.end.message);
            return;
          }
          setLines((ls) => [...ls.slice(-499), { id: ev.id, line: ev.line }]);
        }
      } catch (e) {
        if (!stop.signal.aborted) {
          setState("ended");
          setFailure((e as Error).message);
        }
      }
    })();
    return () => stop.abort();
  }, [name, filter]);
  return (
    <Section title="Logs">
      <form
        class="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          setFilter(requestId.trim());
        }}
      >
        <label for="log-request">Request id</label>
        <input id="log-request" value={requestId} onInput={(e) => setRequestId((e.target as HTMLInputElement).value)} placeholder="all requests" />
        <button type="submit">Filter</button>
        <span class="badge" role="status">
          {state === "live" ? "live (following)" : state}
        </span>
      </form>
      <ErrorNote error={failure} />
      <div role="log" aria-live="polite" aria-label={`Log lines of ${name}`}>
      <ol class="log">
        {lines.map(({ id, line }) => (
          <li key={id} class={line.stream === "stderr" ? "stderr" : undefined}>
            <time dateTime={line.at}>{new Date(line.at).toLocaleTimeString()}</time> <span class="v">v{line.version}</span>{" "}
            <code class="rid">{line.requestId?.slice(0, 8) ?? "—"}</code> <span class="msg">{line.message}</span>
          </li>
        ))}
        {lines.length === 0 && <li class="empty">No log lines yet.</li>}
      </ol>
      </div>
    </Section>
  );
}
