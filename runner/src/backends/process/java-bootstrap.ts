/**
 * Finds a Java 17 on this host and the compiled Java bootstrap (runtimes/java/src) it runs. The
 * bootstrap ships as source: it is compiled once with the JDK's javac into a cache directory named
 * after the hash of its sources (a few seconds, then reused by every runner on the host), written
 * to a temporary directory and renamed into place so concurrent runners never see half a build.
 * A host with a JRE but no javac can still run java17 when the cache is already there.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { chmod, mkdir, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { isExecutable } from "./executable.ts";

const PROBE_TIMEOUT_MS = 20_000;
const JAVAC_TIMEOUT_MS = 120_000;

export interface JavaInstall {
  /** The real `java` binary (JAVA_HOME/bin/java). */
  java: string;
  /** java.version, e.g. "17.0.21.1". */
  version: string;
  /** javac of the same JDK, or one on PATH, when there is one. */
  javac?: string;
}

/** Candidate java binaries, most preferred first. */
export function javaCandidates(searchPath: string, configured?: string): string[] {
  const out: string[] = [];
  if (configured) out.push(configured);
  for (const dir of searchPath.split(path.delimiter)) if (dir && isExecutable(path.join(dir, "java"))) out.push(path.join(dir, "java"));
  try {
    for (const d of readdirSync("/usr/lib/jvm").filter((d) => d.startsWith("java-17")).sort()) {
      const p = path.join("/usr/lib/jvm", d, "bin", "java");
      if (isExecutable(p)) out.push(p);
    }
  } catch {
    // no /usr/lib/jvm
  }
  return [...new Set(out)];
}

/** Run a candidate and read its java.home and java.version; undefined when it does not run. */
export function probeJava(bin: string, searchPath: string, runAs?: { uid: number; gid: number }): Promise<JavaInstall | undefined> {
  return new Promise((resolve) => {
    const as = runAs ? { uid: runAs.uid, gid: runAs.gid, cwd: "/" } : {};
    execFile(bin, ["-XshowSettings:properties", "-version"], { timeout: PROBE_TIMEOUT_MS, encoding: "utf8", ...as }, (err, _stdout, stderr) => {
      if (err) return resolve(undefined);
      const home = /^\s*java\.home = (.+)$/m.exec(stderr)?.[1]?.trim();
      const version = /^\s*java\.version = (.+)$/m.exec(stderr)?.[1]?.trim();
      if (!home || !version) return resolve(undefined);
      const java = path.join(home, "bin", "java");
      const javac = [path.join(home, "bin", "javac"), ...searchPath.split(path.delimiter).filter(Boolean).map((d) => path.join(d, "javac"))].find(isExecutable);
      resolve({ java: isExecutable(java) ? java : bin, version, ...(javac ? { javac } : {}) });
    });
  });
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(p));
    else if (e.name.endsWith(".java")) out.push(p);
  }
  return out.sort();
}

/** Hash of the bootstrap's sources (paths and contents): the name of its compiled form. */
export function bootstrapSourceHash(srcDir: string): string {
  const h = createHash("sha256");
  for (const f of sourceFiles(srcDir)) h.update(path.relative(srcDir, f)).update("\0").update(readFileSync(f)).update("\0");
  return h.digest("hex").slice(0, 20);
}

/** Default home of compiled bootstraps: readable by every user, so sandboxed instances can load them. */
export function defaultJavaCacheDir(): string {
  return path.join(tmpdir(), "hotswap-java-bootstrap");
}

/**
 * The class directory of the compiled bootstrap for the sources in `srcDir`, compiling it with
 * `javac` when the cache has none. Throws with javac's output when compilation fails, or with
 * what to install when there is no javac and no cached build.
 */
export async function ensureJavaBootstrap(srcDir: string, javac: string | undefined, cacheDir = defaultJavaCacheDir()): Promise<string> {
  const classes = path.join(cacheDir, bootstrapSourceHash(srcDir));
  if (existsSync(path.join(classes, "dev", "hotswap", "bootstrap", "Main.class"))) {
    await openCacheDir(cacheDir);
    return classes;
  }
  if (!javac) {
    throw new Error(`the Java bootstrap is not compiled yet (${classes}) and there is no javac; install openjdk-17-jdk-headless`);
  }
  await mkdir(cacheDir, { recursive: true, mode: 0o755 });
  await openCacheDir(cacheDir);
  const work = `${classes}.build-${process.pid}-${Date.now()}`;
  await mkdir(work, { mode: 0o755 });
  try {
    await new Promise<void>((resolve, reject) => {
      execFile(javac, ["--release", "17", "-nowarn", "-encoding", "UTF-8", "-d", work, ...sourceFiles(srcDir)], { timeout: JAVAC_TIMEOUT_MS, encoding: "utf8" }, (err, stdout, stderr) =>
        err ? reject(new Error(`javac could not compile the Java bootstrap (${srcDir}): ${(stderr || stdout || err.message).trim().slice(0, 2000)}`)) : resolve(),
      );
    });
    await openToAll(work);
    try {
      await rename(work, classes);
    } catch (err) {
      // Another runner finished first: its build is the same.
      if (!existsSync(path.join(classes, "dev", "hotswap", "bootstrap", "Main.class"))) throw err;
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return classes;
}

/**
 * The cache directory must be 755 whatever the umask (`hotswap server` and `hotswap runner` run
 * under umask 077, which would leave it 700 and hide the bootstrap from sandboxed instances).
 * A directory another user owns is left as it is: it was made by a runner that opened it.
 */
async function openCacheDir(dir: string): Promise<void> {
  const st = statSync(dir);
  if (typeof process.getuid === "function" && st.uid !== process.getuid()) return;
  if ((st.mode & 0o777) !== 0o755) await chmod(dir, 0o755);
}

/** Directories 755, files 644, whatever the umask: instances run as other users. */
async function openToAll(dir: string): Promise<void> {
  await chmod(dir, 0o755);
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) await openToAll(p);
    else if (statSync(p).isFile()) await chmod(p, 0o644);
  }
}
