/**
 * Hash routing (`#/functions/hello/logs`): the control plane serves one page at `/`, so every view
 * is a fragment of it, bookmarkable and working with the browser's back button.
 */
import { useEffect, useState } from "preact/hooks";

export function currentPath(): string[] {
  return location.hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
}

export function useRoute(): string[] {
  const [path, setPath] = useState(currentPath);
  useEffect(() => {
    const on = () => setPath(currentPath());
    addEventListener("hashchange", on);
    return () => removeEventListener("hashchange", on);
  }, []);
  return path;
}

/** The href of a route: `href("functions", name)` → `#/functions/<name>`. */
export function href(...parts: Array<string | number>): string {
  return "#/" + parts.map((p) => encodeURIComponent(String(p))).join("/");
}

export function navigate(...parts: Array<string | number>): void {
  location.hash = href(...parts).slice(1);
}
