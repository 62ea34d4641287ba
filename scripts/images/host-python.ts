/**
 * Python 3.12 for the offline base image, taken from this host (bookworm ships only 3.11): find an
 * installation whose interpreter says it is 3.12, and stage a trimmed copy of it for /usr/local,
 * with the shared libraries its extension modules need that the bookworm rootfs lacks.
 */
import { existsSync, readdirSync } from "node:fs";
import { copyFile, cp, mkdir, readdir, realpath, symlink, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { basename, join, relative } from "node:path";
import { ImagesError, check, run } from "./exec.ts";

export interface HostPython {
  /** Installation prefix (sys.base_prefix), e.g. /root/.pyenv/versions/3.12.1 */
  prefix: string;
  /** e.g. "3.12.1" */
  version: string;
  /** Real path of the interpreter binary. */
  executable: string;
  /** Real path of libpython when the build is shared, else undefined. */
  libpython?: string;
}

const PROBE = [
  "import json, sys, sysconfig, os",
  "lib = None",
  "if sysconfig.get_config_var('Py_ENABLE_SHARED'):",
  "    p = os.path.join(sysconfig.get_config_var('LIBDIR') or '', sysconfig.get_config_var('INSTSONAME') or '')",
  "    lib = os.path.realpath(p) if os.path.isfile(p) else None",
  "print(json.dumps({'v': '%d.%d.%d' % sys.version_info[:3], 'prefix': sys.base_prefix, 'exe': os.path.realpath(sys.executable), 'lib': lib}))",
].join("\n");

/** Candidate interpreters, most specific first: an explicit path, pyenv versions (newest first), the usual places, PATH. */
export function pythonCandidates(minor: string, explicit?: string): string[] {
  const out: string[] = [];
  if (explicit) out.push(explicit);
  const pyenvRoot = process.env.PYENV_ROOT ?? join(homedir(), ".pyenv");
  try {
    const versions = readdirSync(join(pyenvRoot, "versions"))
      .filter((v) => v.startsWith(`${minor}.`) && /^\d+\.\d+\.\d+$/.test(v))
      .sort((a, b) => Number(b.split(".")[2]) - Number(a.split(".")[2]));
    for (const v of versions) out.push(join(pyenvRoot, "versions", v, "bin", `python${minor}`));
  } catch {
    // no pyenv
  }
  out.push(`/usr/local/bin/python${minor}`, `/usr/bin/python${minor}`, `python${minor}`);
  return out;
}

export async function findHostPython(minor: string, explicit?: string): Promise<HostPython> {
  const tried: string[] = [];
  for (const candidate of pythonCandidates(minor, explicit)) {
    if (candidate.includes("/") && !existsSync(candidate)) continue;
    const r = await run(candidate, ["-c", PROBE], { timeoutMs: 20_000 }).catch(() => undefined);
    if (!r || r.code !== 0) {
      tried.push(`${candidate} (does not run)`);
      continue;
    }
    const info = JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}") as { v: string; prefix: string; exe: string; lib: string | null };
    if (!info.v?.startsWith(`${minor}.`)) {
      tried.push(`${candidate} (is ${info.v})`);
      continue;
    }
    if (!existsSync(join(info.prefix, "lib", `python${minor}`, "os.py"))) {
      tried.push(`${candidate} (no ${info.prefix}/lib/python${minor}/os.py)`);
      continue;
    }
    return { prefix: info.prefix, version: info.v, executable: info.exe, libpython: info.lib ?? undefined };
  }
  throw new ImagesError(
    `no Python ${minor} on this host to put in hotswap/base-python:${minor} (tried: ${tried.join(", ") || "nothing found"}); ` +
      `install one (e.g. pyenv install ${minor}) or set HOTSWAP_PYTHON${minor.replace(".", "")} to its interpreter`,
  );
}

/** Standard-library parts a function runtime never needs; tkinter also needs X11 libraries. */
const SKIP_DIR_NAMES = new Set(["test", "tests", "idle_test", "idlelib", "tkinter", "turtledemo", "__phello__"]);
/** Of site-packages, only pip comes along (as in the official image): never the host's own packages or .pth hooks. */
const KEEP_SITE = (name: string) => name === "README.txt" || name === "pip" || /^pip-[\d.]+\.dist-info$/.test(name);

/**
 * Stage the installation under `<dest>/local` (to be COPY'd to /usr/local) and return the ELF files
 * whose library needs must be met in the image.
 */
export async function stagePython(py: HostPython, minor: string, dest: string): Promise<string[]> {
  const local = join(dest, "local");
  const stdlibSrc = join(py.prefix, "lib", `python${minor}`);
  const stdlibDst = join(local, "lib", `python${minor}`);
  for (const d of ["bin", "lib", "include"]) await mkdir(join(local, d), { recursive: true });

  await copyFile(py.executable, join(local, "bin", `python${minor}`));
  for (const name of ["python3", "python"]) await symlink(`python${minor}`, join(local, "bin", name));
  // pip's own scripts carry the host prefix in their shebang; these do not.
  const pipScript = `#!/usr/local/bin/python${minor}\nimport sys\nfrom pip._internal.cli.main import main\nsys.exit(main())\n`;
  for (const name of ["pip", "pip3", `pip${minor}`]) await writeFile(join(local, "bin", name), pipScript, { mode: 0o755 });

  await cp(stdlibSrc, stdlibDst, {
    recursive: true,
    verbatimSymlinks: true,
    // .pyc files stay valid only if their sources keep their mtimes.
    preserveTimestamps: true,
    filter: (src) => {
      const rel = relative(stdlibSrc, src);
      if (rel === "") return true;
      const parts = rel.split("/");
      const name = parts[parts.length - 1];
      if (parts.some((p) => SKIP_DIR_NAMES.has(p))) return false;
      if (parts[0] === "site-packages" && parts.length >= 2 && !KEEP_SITE(parts[1])) return false;
      if (parts[0] === "lib-dynload" && name.startsWith("_tkinter")) return false;
      if (name.endsWith(".a")) return false;
      return true;
    },
  });
  const include = join(py.prefix, "include", `python${minor}`);
  if (existsSync(include)) await cp(include, join(local, "include", `python${minor}`), { recursive: true, preserveTimestamps: true });

  const elves = [join(local, "bin", `python${minor}`)];
  if (py.libpython) {
    const soname = basename(py.libpython);
    await copyFile(py.libpython, join(local, "lib", soname));
    const dev = `libpython${minor}.so`;
    if (soname !== dev) await symlink(soname, join(local, "lib", dev));
    const stable = join(py.prefix, "lib", "libpython3.so");
    if (existsSync(stable)) await copyFile(stable, join(local, "lib", "libpython3.so"));
    elves.push(join(local, "lib", soname));
  }
  const dynload = join(stdlibDst, "lib-dynload");
  if (existsSync(dynload)) for (const n of await readdir(dynload)) if (n.endsWith(".so")) elves.push(join(dynload, n));
  return elves;
}

/**
 * Shared libraries (host path by soname) that `elves` load from outside the staged tree, according
 * to the host's ldd. A library ldd cannot find on the host is an error: the copy would be broken.
 */
export async function hostLibraryNeeds(elves: string[], stagedRoot: string, hostPrefix: string): Promise<Map<string, string>> {
  const needs = new Map<string, string>();
  const missing: string[] = [];
  for (const elf of elves) {
    // The staged libpython is not on the host's search path; point ldd at it so it is not "not found".
    const r = check(await run("ldd", [elf], { env: { ...process.env, LD_LIBRARY_PATH: join(stagedRoot, "lib") } }), `ldd ${elf}`);
    for (const line of r.stdout.split("\n")) {
      const m = /^\s*(\S+)\s+=>\s+(\S+)/.exec(line);
      if (!m) continue;
      const [, name, path] = m;
      if (path === "not") {
        if (!name.startsWith("libpython")) missing.push(`${basename(elf)} needs ${name}`);
        continue;
      }
      if (path.startsWith(stagedRoot) || path.startsWith(hostPrefix)) continue;
      needs.set(name, path);
    }
  }
  if (missing.length) throw new ImagesError(`the host's Python lacks shared libraries: ${missing.join("; ")}`);
  return needs;
}

/** Copy the libraries the image lacks into `<dest>/local/lib` under their sonames. */
export async function stageLibraries(libs: Map<string, string>, dest: string): Promise<void> {
  for (const [name, hostPath] of libs) await copyFile(await realpath(hostPath), join(dest, "local", "lib", name));
}
