/**
 * Small building blocks every page uses: loading an API result (`useResult`, optionally polled),
 * the API's error shown with its code and message, labelled form fields, and formatters.
 */
import type { ComponentChildren } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import type { ApiFailure, ApiResult } from "../../client/result.ts";

export interface Loaded<T> {
  value?: T;
  error?: ApiFailure;
  loading: boolean;
  reload(): void;
}

/** Calls `load` on mount, when `deps` change, on reload(), and every `pollMs` when given. */
export function useResult<T>(load: () => Promise<ApiResult<T>>, deps: unknown[], pollMs?: number): Loaded<T> {
  const [state, setState] = useState<{ value?: T; error?: ApiFailure; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      const r = await loadRef.current();
      if (!live) return;
      setState(r.ok ? { value: r.value, loading: false } : (s) => ({ value: s.value, error: r.error, loading: false }));
      if (pollMs) timer = setTimeout(run, pollMs);
    };
    void run();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [...deps, tick, pollMs]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

export function ErrorNote({ error }: { error?: ApiFailure | string }) {
  if (!error) return null;
  const text = typeof error === "string" ? error : `${error.code}: ${error.message}`;
  return (
    <p class="error" role="alert">
      {text}
    </p>
  );
}

export function Field(props: { label: string; id: string; error?: string; hint?: string; children: ComponentChildren }) {
  return (
    <div class={props.error ? "field invalid" : "field"}>
      <label for={props.id}>{props.label}</label>
      {props.children}
      {props.hint && !props.error && (
        <small id={`${props.id}-hint`} class="hint">
          {props.hint}
        </small>
      )}
      {props.error && (
        <small id={`${props.id}-error`} class="field-error">
          {props.error}
        </small>
      )}
    </div>
  );
}

/** aria attributes tying an input to its Field's error or hint. */
export function described(id: string, error?: string, hint?: string) {
  return { id, "aria-invalid": error ? (true as const) : undefined, "aria-describedby": error ? `${id}-error` : hint ? `${id}-hint` : undefined };
}

export function Section(props: { title: string; children: ComponentChildren; actions?: ComponentChildren }) {
  const id = "s-" + props.title.toLowerCase().replace(/[^a-z0-9]+/g, "-");
  return (
    <section aria-labelledby={id} class="card">
      <div class="card-head">
        <h2 id={id}>{props.title}</h2>
        {props.actions}
      </div>
      {props.children}
    </section>
  );
}

export function Loading({ loaded }: { loaded: Loaded<unknown> }) {
  if (loaded.loading && loaded.value === undefined) return <p aria-busy="true">Loading…</p>;
  return <ErrorNote error={loaded.error} />;
}

export const when = (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleString() : "—");
export const bytes = (n: number) => (n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1048576).toFixed(1)} MiB`);
export const percent = (share: number) => `${Math.round(share * 1000) / 10}%`;

/** An alias's traffic as text: `v2 90% · v3 10%`. */
export function weightsText(weights: Record<string, number>): string {
  return Object.entries(weights)
    .filter(([, w]) => w > 0)
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([v, w]) => `v${v} ${percent(w)}`)
    .join(" · ");
}

/** A table with column headers, scrolling sideways on narrow screens, and a row saying `empty` when `count` is 0. */
export function DataTable(props: { columns: string[]; count: number; empty: ComponentChildren; children: ComponentChildren }) {
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            {props.columns.map((c) => (
              <th scope="col" key={c}>
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.children}
          {props.count === 0 && (
            <tr>
              <td colSpan={props.columns.length}>{props.empty}</td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}

/** A button that asks for a second press before a destructive action. */
export function ConfirmButton(props: { label: string; confirm: string; onConfirm: () => void; disabled?: boolean }) {
  const [armed, setArmed] = useState(false);
  useEffect(() => {
    if (!armed) return;
    const t = setTimeout(() => setArmed(false), 5000);
    return () => clearTimeout(t);
  }, [armed]);
  return (
    <button
      type="button"
      class={armed ? "danger armed" : "danger"}
      disabled={props.disabled}
      onClick={() => {
        if (armed) {
          setArmed(false);
          props.onConfirm();
        } else setArmed(true);
      }}
    >
      {armed ? props.confirm : props.label}
    </button>
  );
}
