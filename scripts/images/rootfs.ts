/**
 * Debian rootfs tarballs made by `debootstrap --variant=minbase`, cached by their package list so
 * a rerun (or another CI clone on the same machine) skips the ~30 s bootstrap. Each tarball is
 * trimmed the way the official slim images are: no apt lists, no .debs, no man pages or locales.
 */
import { existsSync } from "node:fs";
import { appendFile, mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pickMirror, readHostAptSources } from "./apt-sources.ts";
import { hashOf } from "./content-hash.ts";
import { ImagesError, check, run, tailFile } from "./exec.ts";

/** Bump when the trimming below changes, so cached tarballs are remade. */
const ROOTFS_FORMAT = 1;

export interface RootfsSpec {
  /** Short name used in file names and messages, e.g. "base" or "python3". */
  name: string;
  suite: string;
  /** Packages added to minbase with debootstrap --include. */
  include: string[];
}

export interface RootfsOptions {
  cacheDir: string;
  /** Mirror URL; when absent it is read from the host's apt sources. */
  mirror?: string;
}

/** The key that names a rootfs tarball: it changes when the package list or the trimming changes. */
export function rootfsKey(spec: RootfsSpec): string {
  return hashOf("rootfs", ROOTFS_FORMAT, spec.suite, "minbase", [...spec.include].sort());
}

export function rootfsTarballPath(spec: RootfsSpec, cacheDir: string): string {
  return join(cacheDir, "rootfs", `${spec.suite}-${spec.name}-${rootfsKey(spec)}.tar`);
}

export async function resolveMirror(suite: string, explicit?: string): Promise<string> {
  if (explicit) return explicit.replace(/\/+$/, "");
  const mirror = pickMirror(await readHostAptSources(), suite);
  if (!mirror) {
    throw new ImagesError(
      `no apt source for Debian "${suite}" main in /etc/apt/sources.list or /etc/apt/sources.list.d/; set HOTSWAP_DEBIAN_MIRROR to a Debian mirror URL`,
    );
  }
  return mirror;
}

/**
 * Return the cached tarball for `spec`, running debootstrap first when there is none.
 * `made` says whether debootstrap ran.
 */
export async function ensureRootfsTarball(spec: RootfsSpec, opts: RootfsOptions): Promise<{ tarball: string; made: boolean }> {
  const tarball = rootfsTarballPath(spec, opts.cacheDir);
  if (existsSync(tarball)) return { tarball, made: false };

  if (process.getuid?.() !== 0) throw new ImagesError(`debootstrap needs root to build the ${spec.name} rootfs (run as root)`);
  if ((await run("sh", ["-c", "command -v debootstrap"])).code !== 0) {
    throw new ImagesError("debootstrap is not installed; run: bash scripts/ci/ensure-docker.sh (it installs it), or apt-get install -y debootstrap");
  }
  const mirror = await resolveMirror(spec.suite, opts.mirror);
  const work = join(opts.cacheDir, "work", `${spec.name}-${process.pid}`);
  const root = join(work, "root");
  // Shared by the rootfs builds, which run one at a time: the second downloads only what it adds.
  const debs = join(opts.cacheDir, "debs", spec.suite);
  const logs = join(opts.cacheDir, "logs");
  const log = join(logs, `debootstrap-${spec.suite}-${spec.name}.log`);
  await Promise.all([mkdir(root, { recursive: true }), mkdir(debs, { recursive: true }), mkdir(logs, { recursive: true })]);
  await writeFile(log, `debootstrap ${spec.suite} ${spec.name} from ${mirror}\n`);
  try {
    const args = ["--variant=minbase", `--cache-dir=${debs}`];
    if (spec.include.length) args.push(`--include=${spec.include.join(",")}`);
    args.push(spec.suite, root, mirror);
    const r = await run("debootstrap", args, { logFile: log });
    if (r.code !== 0) {
      // debootstrap's own log lives in the work dir, which is deleted below: keep it beside ours.
      const innerLog = join(root, "debootstrap", "debootstrap.log");
      const inner = await tailFile(innerLog, 15);
      if (inner) await appendFile(log, `\n=== ${innerLog}\n${await readFile(innerLog, "utf8")}`);
      throw new ImagesError(
        `debootstrap ${spec.suite} (${spec.name}) from ${mirror} failed (exit ${r.code}); last lines of its output:\n${await tailFile(log, 15)}` +
          (inner ? `\n  and of its debootstrap.log (both kept in ${log}):\n${inner}` : ""),
      );
    }
    await trimRootfs(root);
    await mkdir(join(opts.cacheDir, "rootfs"), { recursive: true });
    const partial = `${tarball}.partial-${process.pid}`;
    check(await run("tar", ["--numeric-owner", "-C", root, "-cf", partial, "."]), `tar of the ${spec.name} rootfs`);
    await rename(partial, tarball);
    return { tarball, made: true };
  } finally {
    await removeWorkDir(work);
  }
}

/** Drop what a container never needs, as the official slim images do; keep Debian's copyright files. */
async function trimRootfs(root: string): Promise<void> {
  const emptyDir = async (rel: string, keep: (name: string) => boolean = () => false) => {
    const dir = join(root, rel);
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return;
    }
    await Promise.all(names.filter((n) => !keep(n)).map((n) => rm(join(dir, n), { recursive: true, force: true })));
  };
  await emptyDir("var/cache/apt/archives", (n) => n === "partial" || n === "lock");
  await emptyDir("var/cache/apt", (n) => n === "archives");
  await emptyDir("var/lib/apt/lists", (n) => n === "partial" || n === "lock");
  await emptyDir("var/log", (n) => n === "apt");
  await emptyDir("usr/share/man");
  await emptyDir("usr/share/info");
  await emptyDir("usr/share/locale", (n) => n === "locale.alias");
  for (const pkg of await readdir(join(root, "usr/share/doc")).catch(() => [] as string[])) {
    await emptyDir(join("usr/share/doc", pkg), (n) => n === "copyright");
  }
  // debootstrap copies the host's network identity in; Docker mounts its own at run time.
  for (const f of ["etc/resolv.conf", "etc/hostname"]) {
    if (existsSync(join(root, f))) await writeFile(join(root, f), "");
  }
}

/** Unmount anything debootstrap left mounted (after a failure) before deleting, never recursing into /proc or /sys. */
async function removeWorkDir(work: string): Promise<void> {
  if (!existsSync(work)) return;
  const mounts = (await readFile("/proc/mounts", "utf8").catch(() => ""))
    .split("\n")
    .map((l) => l.split(" ")[1]?.replace(/\\040/g, " "))
    .filter((m): m is string => !!m && (m === work || m.startsWith(`${work}/`)))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) await run("umount", ["-l", m]);
  const still = (await readFile("/proc/mounts", "utf8").catch(() => "")).includes(` ${work}/`);
  if (still) throw new ImagesError(`cannot unmount what debootstrap mounted under ${work}; unmount it and delete the directory by hand`);
  await rm(work, { recursive: true, force: true });
}
