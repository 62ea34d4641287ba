/**
 * Finds the Debian mirror this host already uses, so debootstrap fetches from the same place apt
 * does (the only package source reachable on these machines).
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";

export interface AptSource {
  uri: string;
  suites: string[];
  components: string[];
}

const USABLE_SCHEME = /^(https?|file):\/\//;

/** Parse one-line `.list` entries (`deb [opts] URI suite comp...`). Only `deb` lines count. */
export function parseListFormat(text: string): AptSource[] {
  const out: AptSource[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.replace(/#.*/, "").trim();
    if (!line.startsWith("deb ")) continue;
    const rest = line
      .slice(4)
      .trim()
      .replace(/^\[[^\]]*\]\s*/, "");
    const [uri, suite, ...components] = rest.split(/\s+/);
    if (uri && suite) out.push({ uri, suites: [suite], components });
  }
  return out;
}

/** Parse deb822 `.sources` stanzas (`Types:`, `URIs:`, `Suites:`, `Components:`, `Enabled:`). */
export function parseDeb822Format(text: string): AptSource[] {
  const out: AptSource[] = [];
  for (const stanza of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    let last = "";
    for (const raw of stanza.split("\n")) {
      if (raw.startsWith("#")) continue;
      if (/^\s/.test(raw) && last) {
        fields.set(last, `${fields.get(last)} ${raw.trim()}`);
        continue;
      }
      const m = /^([A-Za-z-]+):\s*(.*)$/.exec(raw);
      if (m) {
        last = m[1].toLowerCase();
        fields.set(last, m[2].trim());
      }
    }
    const words = (k: string) => (fields.get(k) ?? "").split(/\s+/).filter(Boolean);
    if (!words("types").includes("deb")) continue;
    if ((fields.get("enabled") ?? "yes").toLowerCase() === "no") continue;
    for (const uri of words("uris")) out.push({ uri, suites: words("suites"), components: words("components") });
  }
  return out;
}

/**
 * The mirror serving `suite` with `main`, from sources already parsed; undefined when none does.
 * Security and updates pockets do not qualify: debootstrap needs the suite itself.
 */
export function pickMirror(sources: AptSource[], suite: string): string | undefined {
  const hit = sources.find(
    (s) => USABLE_SCHEME.test(s.uri) && s.suites.includes(suite) && (s.components.length === 0 || s.components.includes("main")),
  );
  return hit?.uri.replace(/\/+$/, "");
}

/** Read /etc/apt/sources.list and /etc/apt/sources.list.d/{*.list,*.sources}. Unreadable files are skipped. */
export async function readHostAptSources(root = "/etc/apt"): Promise<AptSource[]> {
  const files: Array<{ path: string; deb822: boolean }> = [{ path: join(root, "sources.list"), deb822: false }];
  try {
    for (const name of (await readdir(join(root, "sources.list.d"))).sort()) {
      if (name.endsWith(".list")) files.push({ path: join(root, "sources.list.d", name), deb822: false });
      else if (name.endsWith(".sources")) files.push({ path: join(root, "sources.list.d", name), deb822: true });
    }
  } catch {
    // no sources.list.d: only sources.list counts
  }
  const out: AptSource[] = [];
  for (const f of files) {
    let text: string;
    try {
      text = await readFile(f.path, "utf8");
    } catch {
      continue;
    }
    out.push(...(f.deb822 ? parseDeb822Format(text) : parseListFormat(text)));
  }
  return out;
}
