/**
 * Finds, for each runtime id, an interpreter on this host that really is that version: every
 * candidate is executed and asked for its own path and version, so a broken pyenv shim or a node
 * of the wrong major is skipped rather than trusted. The result says what to install otherwise.
 */
import { execFile } from "node:child_process";
import { readdirSync } from "node:fs";
import path from "node:path";
import type { RuntimeAvailability } from "../../../../protocol/runner.ts";
import { fileURLToPath } from "node:url";
import { isExecutable } from "./executable.ts";
import { ensureJavaBootstrap, javaCandidates, probeJava } from "./java-bootstrap.ts";
import { RUNTIME_IDS, runtimeFamily, runtimeLanguageVersion, type RuntimeId } from "../../../../protocol/runtimes.ts";

export interface DiscoveryOptions {
  /** Explicit interpreter per runtime id, tried first (e.g. `{ nodejs22: "/opt/node22/bin/node" }`). */
  interpreters?: Partial<Record<RuntimeId, string>>;
  /** PATH to search; default the runner's own PATH. */
  searchPath?: string;
  /** pyenv root; default $PYENV_ROOT or /root/.pyenv. */
  pyenvRoot?: string;
  /** The runner's node, a candidate for nodejs<its major>. Default process.execPath. */
  execPath?: string;
  /** Where the compiled Java bootstrap is cached; default defaultJavaCacheDir(). */
  javaCacheDir?: string;
  /** Where the bootstraps' sources live; default the repo's runtimes/. */
  runtimesDir?: string;
  /** Probe as this user (the sandbox's): an interpreter it cannot run is not available. */
  runAs?: { uid: number; gid: number };
}

export interface Interpreter {
  /** Absolute path of the real binary (shims resolved). */
  path: string;
  /** e.g. "v20.20.2" or "3.12.1" */
  version: string;
  /** java: the compiled bootstrap's class directory. */
  classpath?: string;
}

// Generous: a loaded host can take seconds to start an interpreter, and a probe that times out
// reports a working runtime as missing.
const PROBE_TIMEOUT_MS = 20_000;
const LANGUAGE_NAMES = { node: "Node.js", python: "Python", ruby: "Ruby" } as const;

function onPath(name: string, searchPath: string): string | undefined {
  for (const dir of searchPath.split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, name);
    if (isExecutable(p)) return p;
  }
  return undefined;
}

/** Run a candidate and ask it for its real path and version; undefined when it does not run. */
const PROBE_ARGS: Record<"node" | "python" | "ruby", string[]> = {
  node: ["-e", "process.stdout.write(process.execPath + '\\n' + process.version + '\\n')"],
  python: ["-c", "import sys, platform; sys.stdout.write(sys.executable + '\\n' + platform.python_version() + '\\n')"],
  ruby: ["-e", "STDOUT.write(RbConfig.ruby + \"\\n\" + RUBY_VERSION + \"\\n\")"],
};

function probe(bin: string, family: "node" | "python" | "ruby", runAs?: DiscoveryOptions["runAs"]): Promise<Interpreter | undefined> {
  const args = PROBE_ARGS[family];
  return new Promise((resolve) => {
    const as = runAs ? { uid: runAs.uid, gid: runAs.gid, cwd: "/" } : {};
    execFile(bin, args, { timeout: PROBE_TIMEOUT_MS, encoding: "utf8", ...as }, (err, stdout) => {
      if (err) return resolve(undefined);
      const [real, version] = stdout.trim().split("\n");
      if (!real || !version) return resolve(undefined);
      resolve({ path: real, version: version.trim() });
    });
  });
}

function matches(id: RuntimeId, version: string): boolean {
  const want = runtimeLanguageVersion(id)!;
  return runtimeFamily(id) === "node" ? version.startsWith(`v${want}.`) : version.startsWith(`${want}.`);
}

/** Candidate binaries for a runtime id, most preferred first, each with a label for messages. */
function candidates(id: RuntimeId, opts: DiscoveryOptions): { bin: string; label: string }[] {
  const searchPath = opts.searchPath ?? process.env.PATH ?? "";
  const ver = runtimeLanguageVersion(id)!;
  const out: { bin: string; label: string }[] = [];
  const override = opts.interpreters?.[id];
  if (override) out.push({ bin: override, label: `${override} (configured)` });
  if (runtimeFamily(id) === "node") {
    const versioned = onPath(`node${ver}`, searchPath);
    if (versioned) out.push({ bin: versioned, label: versioned });
    const exec = opts.execPath ?? process.execPath;
    out.push({ bin: exec, label: `${exec} (the runner's node)` });
    const plain = onPath("node", searchPath);
    if (plain) out.push({ bin: plain, label: plain });
  } else if (runtimeFamily(id) === "ruby") {
    // Debian installs ruby3.1 with ruby as its alternative; each is probed for its real version.
    for (const name of [`ruby${ver}`, "ruby"]) {
      const p = onPath(name, searchPath);
      if (p) out.push({ bin: p, label: p });
    }
    for (const p of [`/usr/bin/ruby${ver}`, "/usr/bin/ruby", "/usr/local/bin/ruby"]) if (isExecutable(p)) out.push({ bin: p, label: p });
  } else {
    const versioned = onPath(`python${ver}`, searchPath);
    if (versioned) out.push({ bin: versioned, label: versioned });
    const root = opts.pyenvRoot ?? process.env.PYENV_ROOT ?? "/root/.pyenv";
    try {
      const dirs = readdirSync(path.join(root, "versions"))
        .filter((d) => d.startsWith(`${ver}.`))
        .sort((a, b) => Number(b.split(".")[2]) - Number(a.split(".")[2]));
      for (const d of dirs) {
        const p = path.join(root, "versions", d, "bin", `python${ver}`);
        if (isExecutable(p)) out.push({ bin: p, label: p });
      }
    } catch {
      // no pyenv
    }
    for (const dir of ["/usr/bin", "/usr/local/bin"]) {
      const p = path.join(dir, `python${ver}`);
      if (isExecutable(p)) out.push({ bin: p, label: p });
    }
  }
  const seen = new Set<string>();
  return out.filter((c) => (seen.has(c.bin) ? false : (seen.add(c.bin), true)));
}

function installHint(id: RuntimeId): string {
  const ver = runtimeLanguageVersion(id);
  if (runtimeFamily(id) === "ruby") return `install Ruby ${ver} (on Debian bookworm: apt-get install ruby) so that ruby${ver} or ruby runs, or configure its path (interpreters["${id}"])`;
  return runtimeFamily(id) === "node"
    ? `install Node.js ${ver} and put it on PATH as node${ver}, or configure its path (interpreters.${id})`
    : `install Python ${ver} (e.g. apt-get install python${ver} or pyenv install ${ver}) so that python${ver} runs, or configure its path (interpreters["${id}"])`;
}

/** Discover one runtime. */
export async function discoverRuntime(id: RuntimeId, opts: DiscoveryOptions = {}): Promise<RuntimeAvailability & { interpreter?: Interpreter }> {
  const family = runtimeFamily(id);
  if (family === "provided") {
    return process.platform === "linux" || process.platform === "darwin"
      ? { id, available: true, using: "the zip's own bootstrap executable" }
      : { id, available: false, reason: "provided runtimes need a POSIX host to execute the zip's bootstrap" };
  }
  if (family === "java") return discoverJava(id, opts);
  const tried: string[] = [];
  for (const c of candidates(id, opts)) {
    const found = await probe(c.bin, family, opts.runAs);
    if (found && matches(id, found.version)) {
      return { id, available: true, using: found.path, version: found.version, interpreter: found };
    }
    tried.push(found ? `${c.label} is ${found.version}` : `${c.label} does not run${opts.runAs ? " as a sandbox user (is every directory on its path searchable by others?)" : ""}`);
  }
  const what = `${LANGUAGE_NAMES[family]} ${runtimeLanguageVersion(id)}`;
  const detail = tried.length ? ` (${tried.join("; ")})` : "";
  return { id, available: false, reason: `no ${what} interpreter found${detail}; ${installHint(id)}` };
}

/** Discover every runtime id, probing in parallel. */
export async function discoverRuntimes(opts: DiscoveryOptions = {}): Promise<(RuntimeAvailability & { interpreter?: Interpreter })[]> {
  return Promise.all(RUNTIME_IDS.map((id) => discoverRuntime(id, opts)));
}

/** java17: a Java of that major and the bootstrap compiled for it (compiled here once when javac is present). */
async function discoverJava(id: RuntimeId, opts: DiscoveryOptions): Promise<RuntimeAvailability & { interpreter?: Interpreter }> {
  const searchPath = opts.searchPath ?? process.env.PATH ?? "";
  const want = runtimeLanguageVersion(id)!;
  const tried: string[] = [];
  for (const bin of javaCandidates(searchPath, opts.interpreters?.[id])) {
    const found = await probeJava(bin, searchPath, opts.runAs);
    if (!found || !(found.version === want || found.version.startsWith(`${want}.`))) {
      tried.push(found ? `${bin} is Java ${found.version}` : `${bin} does not run`);
      continue;
    }
    const runtimesDir = opts.runtimesDir ?? fileURLToPath(new URL("../../../../runtimes/", import.meta.url));
    try {
      const classpath = await ensureJavaBootstrap(path.join(runtimesDir, "java", "src"), found.javac, opts.javaCacheDir);
      return { id, available: true, using: found.java, version: found.version, interpreter: { path: found.java, version: found.version, classpath } };
    } catch (err) {
      return { id, available: false, reason: (err as Error).message };
    }
  }
  const detail = tried.length ? ` (${tried.join("; ")})` : "";
  return { id, available: false, reason: `no Java ${want} found${detail}; install openjdk-${want}-jdk-headless (apt-get install -y openjdk-${want}-jdk-headless), or configure its path (interpreters.${id})` };
}
