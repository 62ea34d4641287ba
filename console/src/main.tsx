/**
 * The console's entry: restores the session from sessionStorage (checking it with whoami), shows
 * sign-in without one, and otherwise the layout: a skip link, the navigation the principal's
 * permissions allow, who is signed in with sign-out, and the page the hash route names.
 */
import { render } from "preact";
import { useEffect, useMemo, useState } from "preact/hooks";
import type { WhoAmI } from "../../protocol/api/whoami.ts";
import { clearCredential, clientFor, SessionContext, storedCredential, type Credential, type Session } from "./session.ts";
import { href, useRoute } from "./router.ts";
import { SignIn } from "./pages/sign-in.tsx";
import { FunctionsPage } from "./pages/functions.tsx";
import { FunctionPage } from "./pages/function.tsx";
import { DeploymentsPage } from "./pages/deployments.tsx";
import { DeploymentPage } from "./pages/deployment.tsx";
import { TriggersPage } from "./pages/triggers.tsx";
import { RunnersPage } from "./pages/runners.tsx";
import { KeysPage } from "./pages/keys.tsx";
import { AuditPage } from "./pages/audit.tsx";

interface Signed {
  credential: Credential;
  me: WhoAmI;
}

const NAV: Array<{ path: string; label: string; permission: string; unscoped?: boolean }> = [
  { path: "functions", label: "Functions", permission: "functions:read" },
  { path: "deployments", label: "Deployments", permission: "deployments:read" },
  { path: "triggers", label: "Triggers", permission: "triggers:read" },
  { path: "runners", label: "Runners", permission: "runners:read", unscoped: true },
  { path: "keys", label: "Keys", permission: "keys:read" },
  { path: "audit", label: "Audit", permission: "audit:read" },
];

function App() {
  const [signed, setSigned] = useState<Signed | undefined>();
  const [restoring, setRestoring] = useState(true);
  useEffect(() => {
    const credential = storedCredential();
    if (!credential) return setRestoring(false);
    void clientFor(credential)
      .system.whoami()
      .then((r) => {
        if (r.ok) setSigned({ credential, me: r.value });
        else clearCredential();
        setRestoring(false);
      });
  }, []);
  const session = useMemo<Session | undefined>(() => {
    if (!signed) return undefined;
    const perms = new Set(signed.me.permissions);
    return {
      api: clientFor(signed.credential),
      me: signed.me,
      can: (p) => perms.has(p),
      signOut: () => {
        clearCredential();
        setSigned(undefined);
        location.hash = "";
      },
    };
  }, [signed]);
  if (restoring) return <p aria-busy="true">Loading…</p>;
  if (!session) return <SignIn onSignedIn={(credential, me) => setSigned({ credential, me })} />;
  return (
    <SessionContext.Provider value={session}>
      <Layout session={session} />
    </SessionContext.Provider>
  );
}

function Layout({ session }: { session: Session }) {
  const route = useRoute();
  const nav = NAV.filter((n) => session.can(n.permission) && !(n.unscoped && session.me.functions));
  const top = route[0] ?? nav[0]?.path ?? "";
  useEffect(() => {
    const main = document.getElementById("main");
    if (main && document.activeElement === document.body) main.focus({ preventScroll: true });
  }, [route.join("/")]);
  return (
    <>
      <a class="skip" href="#main" onClick={(e) => (e.preventDefault(), document.getElementById("main")?.focus())}>
        Skip to content
      </a>
      <header class="top">
        <span class="brand">HotSwap</span>
        <nav aria-label="Main">
          <ul>
            {nav.map((n) => (
              <li key={n.path}>
                <a href={href(n.path)} aria-current={top === n.path ? "page" : undefined}>
                  {n.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          <span title={session.me.subject}>
            {session.me.subject} ({session.me.roles.join(", ") || "no role"}
            {session.me.functions ? `; ${session.me.functions.join(", ")}` : ""})
          </span>
          <button type="button" onClick={session.signOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Page route={route.length ? route : [top]} nav={nav.map((n) => n.path)} />
      </main>
    </>
  );
}

function Page({ route, nav }: { route: string[]; nav: string[] }) {
  const [top, id, tab] = route;
  if (!top || !nav.includes(top)) return <p>{nav.length ? "Choose a page above." : "This credential may not read anything the console shows; it may still invoke functions through the API."}</p>;
  switch (top) {
    case "functions":
      return id ? <FunctionPage name={id} tab={tab ?? "overview"} /> : <FunctionsPage />;
    case "deployments":
      return id ? <DeploymentPage id={id} /> : <DeploymentsPage />;
    case "triggers":
      return <TriggersPage />;
    case "runners":
      return <RunnersPage />;
    case "keys":
      return <KeysPage />;
    case "audit":
      return <AuditPage />;
  }
  return null;
}

render(<App />, document.getElementById("app")!);
