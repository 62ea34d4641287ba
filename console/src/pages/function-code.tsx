/** A function's versions (size, sha, date; publish a zip by drag and drop or file picker) and aliases with their weights. */
import { useRef, useState } from "preact/hooks";
import type { AliasView } from "../../../protocol/api/aliases.ts";
import { useSession } from "../session.ts";
import { ErrorNote, Field, Loading, Section, bytes, described, useResult, weightsText, when, DataTable } from "../ui.tsx";
import { aliasWeights } from "./functions.tsx";

export function Versions({ name, onPublished }: { name: string; onPublished: () => void }) {
  const { api, can } = useSession();
  const versions = useResult(() => api.versions.list(name), [name]);
  const [status, setStatus] = useState<string | undefined>();
  const [failure, setFailure] = useState<string | undefined>();
  const [over, setOver] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const publish = async (file: File | undefined) => {
    if (!file) return;
    if (!/\.zip$/i.test(file.name) && file.type !== "application/zip") return setFailure(`${file.name} is not a .zip archive.`);
    setFailure(undefined);
    setStatus(`Uploading ${file.name} (${bytes(file.size)})…`);
    const r = await api.versions.publish(name, new Uint8Array(await file.arrayBuffer()));
    if (!r.ok) {
      setStatus(undefined);
      return setFailure(`${r.error.code}: ${r.error.message}`);
    }
    setStatus(`Published version ${r.value.version} (${bytes(r.value.codeSize)}, sha256 ${r.value.codeSha256.slice(0, 12)}).`);
    versions.reload();
    onPublished();
  };
  return (
    <Section title="Versions">
      {can("versions:write") && (
        <div
          id="dropzone"
          class={over ? "dropzone over" : "dropzone"}
          role="button"
          tabIndex={0}
          aria-describedby="dropzone-help"
          onDragOver={(e) => (e.preventDefault(), setOver(true))}
          onDragLeave={() => setOver(false)}
          onDrop={(e) => {
            e.preventDefault();
            setOver(false);
            void publish(e.dataTransfer?.files[0]);
          }}
          onClick={() => input.current?.click()}
          onKeyDown={(e) => (e.key === "Enter" || e.key === " ") && (e.preventDefault(), input.current?.click())}
        >
          Drop a .zip here to publish a new version, or press to choose one
          <input ref={input} type="file" accept=".zip,application/zip" class="visually-hidden" aria-label="Zip to publish" tabIndex={-1} onChange={(e) => publish((e.target as HTMLInputElement).files?.[0])} />
        </div>
      )}
      <small id="dropzone-help" class="hint">
        The archive holds the handler at its root (e.g. index.js exporting handler).
      </small>
      {status && <p role="status">{status}</p>}
      <ErrorNote error={failure} />
      <Loading loaded={versions} />
      {versions.value && (
        <DataTable columns={["Version", "Size", "SHA-256", "Published", "Description"]} count={versions.value.versions.length} empty="No versions yet: publish a zip.">
              {[...versions.value.versions].reverse().map((v) => (
                <tr key={v.version}>
                  <td>{v.version}</td>
                  <td>{bytes(v.codeSize)}</td>
                  <td>
                    <code title={v.codeSha256}>{v.codeSha256.slice(0, 12)}</code>
                  </td>
                  <td>{when(v.createdAt)}</td>
                  <td>{v.description}</td>
                </tr>
              ))}
              
            </DataTable>
      )}
    </Section>
  );
}

export function Aliases({ name }: { name: string }) {
  const { api, can } = useSession();
  const aliases = useResult(() => api.aliases.list(name), [name]);
  return (
    <>
      <Section title="Aliases">
        <Loading loaded={aliases} />
        {aliases.value && (
          <DataTable columns={["Alias", "Traffic", "Protected", "Updated"]} count={aliases.value.aliases.length} empty="No aliases yet.">
                {aliases.value.aliases.map((a) => (
                  <tr key={a.name}>
                    <td>{a.name}</td>
                    <td>{weightsText(aliasWeights(a))}</td>
                    <td>{a.protected ? "yes" : "no"}</td>
                    <td>{when(a.updatedAt)}</td>
                  </tr>
                ))}
                
              </DataTable>
        )}
      </Section>
      {can("aliases:write") && <AliasEditor name={name} existing={aliases.value?.aliases ?? []} onSaved={aliases.reload} />}
    </>
  );
}

/** Set an alias: its version and, optionally, a second version with a share of the traffic. */
function AliasEditor({ name, existing, onSaved }: { name: string; existing: AliasView[]; onSaved: () => void }) {
  const { api } = useSession();
  const [form, setForm] = useState({ alias: "live", version: "", extraVersion: "", extraPercent: "" });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [failure, setFailure] = useState<string | undefined>();
  const [status, setStatus] = useState<string | undefined>();
  const set = (k: keyof typeof form) => (e: Event) => setForm({ ...form, [k]: (e.target as HTMLInputElement).value });
  const pick = (a: AliasView) => {
    const [extra] = Object.entries(a.routingConfig.additionalVersionWeights);
    setForm({ alias: a.name, version: String(a.version), extraVersion: extra?.[0] ?? "", extraPercent: extra ? String(Math.round(extra[1] * 1000) / 10) : "" });
  };
  const save = async (e: Event) => {
    e.preventDefault();
    const errs: Record<string, string> = {};
    if (!/^[A-Za-z][A-Za-z0-9_-]{0,63}$/.test(form.alias) || /^\d+$/.test(form.alias)) errs.alias = "Starts with a letter; letters, digits, - or _";
    const version = Number(form.version);
    if (!Number.isInteger(version) || version < 1) errs.version = "A published version number";
    const weights: Record<string, number> = {};
    if (form.extraVersion || form.extraPercent) {
      const v = Number(form.extraVersion);
      const p = Number(form.extraPercent);
      if (!Number.isInteger(v) || v < 1 || v === version) errs.extraVersion = "Another published version number";
      if (!(p > 0 && p < 100)) errs.extraPercent = "A share between 0 and 100 (exclusive)";
      weights[String(v)] = p / 100;
    }
    setErrors(errs);
    if (Object.keys(errs).length) return;
    const r = await api.aliases.put(name, form.alias, { version, routingConfig: { additionalVersionWeights: weights } });
    if (!r.ok) return setFailure(`${r.error.code}: ${r.error.message}`);
    setFailure(undefined);
    setStatus(`Alias ${form.alias} now routes ${weightsText(aliasWeights(r.value))}.`);
    onSaved();
  };
  return (
    <Section title="Set an alias">
      {existing.length > 0 && (
        <p>
          Edit:{" "}
          {existing.map((a) => (
            <button type="button" class="link" key={a.name} onClick={() => pick(a)}>
              {a.name}
            </button>
          ))}
        </p>
      )}
      <form onSubmit={save} class="grid-form" noValidate>
        <Field label="Alias" id="al-name" error={errors.alias}>
          <input {...described("al-name", errors.alias)} value={form.alias} onInput={set("alias")} />
        </Field>
        <Field label="Version" id="al-version" error={errors.version}>
          <input {...described("al-version", errors.version)} inputMode="numeric" value={form.version} onInput={set("version")} />
        </Field>
        <Field label="Second version (optional)" id="al-extra" error={errors.extraVersion}>
          <input {...described("al-extra", errors.extraVersion)} inputMode="numeric" value={form.extraVersion} onInput={set("extraVersion")} />
        </Field>
        <Field label="Its share (%)" id="al-percent" error={errors.extraPercent}>
          <input {...described("al-percent", errors.extraPercent)} inputMode="decimal" value={form.extraPercent} onInput={set("extraPercent")} />
        </Field>
        <div class="actions">
          <button type="submit">Save alias</button>
        </div>
      </form>
      {status && <p role="status">{status}</p>}
      <ErrorNote error={failure} />
    </Section>
  );
}
