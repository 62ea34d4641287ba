/** Sign-in with an API key or a JWT: checked with GET /api/v1/whoami, then kept in sessionStorage. */
import { useState } from "preact/hooks";
import type { WhoAmI } from "../../../protocol/api/whoami.ts";
import { clientFor, credentialOf, storeCredential, type Credential } from "../session.ts";
import { ErrorNote, Field, described } from "../ui.tsx";

export function SignIn({ onSignedIn }: { onSignedIn: (c: Credential, me: WhoAmI) => void }) {
  const [text, setText] = useState("");
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!text.trim()) return setError("Enter an API key (hs_…) or a JWT.");
    setBusy(true);
    const credential = credentialOf(text);
    const r = await clientFor(credential).system.whoami();
    setBusy(false);
    if (!r.ok) return setError(`${r.error.code}: ${r.error.message}`);
    storeCredential(credential);
    onSignedIn(credential, r.value);
  };
  return (
    <main id="main" class="sign-in">
      <h1>HotSwap console</h1>
      <form onSubmit={submit} class="card" aria-label="Sign in">
        <Field label="API key or JWT" id="credential" hint="Kept in this tab's session storage until you sign out or close the tab.">
          <input
            {...described("credential", undefined, "hint")}
            aria-describedby="credential-hint"
            type="password"
            autoComplete="off"
            value={text}
            onInput={(e) => setText((e.target as HTMLInputElement).value)}
          />
        </Field>
        <ErrorNote error={error} />
        <button type="submit" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
