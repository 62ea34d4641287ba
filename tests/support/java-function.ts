/**
 * Compiles the Java test functions (tests/fixtures/functions/java-*) with the host's javac, as a
 * user would: javac against the Lambda interfaces (here the bootstrap's own, compiled by
 * runner/src/backends/process/java-bootstrap.ts), `jar` for the classes the fixture's README puts
 * in lib/, the rest left as a class folder. Results are cached under the temp dir by source hash.
 * `javaMissing()` says why Java cannot be used here (undefined when it can); under CI=true a
 * missing JDK is an error, not a skip (scripts/ci/ensure-java.sh installs it).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ensureJavaBootstrap } from "../../runner/src/backends/process/java-bootstrap.ts";
import { zipDir } from "./zip.ts";

const FIXTURES = fileURLToPath(new URL("../fixtures/functions/", import.meta.url));
const BOOTSTRAP_SRC = fileURLToPath(new URL("../../runtimes/java/src/", import.meta.url));
const IS_CI = process.env.CI === "true" || process.env.CI === "1";
/** Classes of java-handlers that go into lib/handlers.jar; the others stay loose at the root. */
const IN_JAR = ["PojoHandler", "Order", "Item", "Receipt"];

/** Why Java 17 tests cannot run here, or undefined. Throws under CI=true instead of returning a reason. */
export function javaMissing(): string | undefined {
  const probe = spawnSync("javac", ["-version"], { encoding: "utf8" });
  const out = `${probe.stdout ?? ""}${probe.stderr ?? ""}`.trim();
  const reason = probe.error
    ? `javac is not available (${probe.error.message}); install openjdk-17-jdk-headless (bash scripts/ci/ensure-java.sh)`
    : !/^javac 17\./m.test(out)
      ? `javac is not Java 17 (${out}); install openjdk-17-jdk-headless`
      : undefined;
  if (reason && IS_CI) throw new Error(`CI=true: ${reason}`);
  return reason;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

/** The code directory of a compiled Java fixture: example/*.class at the root and lib/handlers.jar. */
export async function javaFunctionDir(fixture = "java-handlers"): Promise<string> {
  return compileJavaFunction(path.join(FIXTURES, fixture, "src"), fixture);
}

/**
 * Compile every .java under `src` (packages as directories) into a code directory: the classes of
 * package `example` named in IN_JAR go into lib/handlers.jar, every other class stays loose.
 */
export async function compileJavaFunction(src: string, name: string): Promise<string> {
  const fixture = name;
  const bootstrap = await ensureJavaBootstrap(BOOTSTRAP_SRC, "javac");
  const h = createHash("sha256").update(bootstrap);
  for (const f of filesUnder(src)) h.update(path.relative(src, f)).update(readFileSync(f));
  const code = path.join(tmpdir(), "hotswap-java-fixtures", `${fixture}-${h.digest("hex").slice(0, 16)}`);
  if (existsSync(code)) return code;
  const work = `${code}.build-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  const classes = path.join(work, "classes");
  const out = path.join(work, "code");
  mkdirSync(classes, { recursive: true });
  execFileSync("javac", ["--release", "17", "-nowarn", "-cp", bootstrap, "-d", classes, ...filesUnder(src).filter((f) => f.endsWith(".java"))], { stdio: "pipe" });
  mkdirSync(path.join(out, "lib"), { recursive: true });
  const compiled = filesUnder(classes).map((f) => path.relative(classes, f));
  const jarred = compiled.filter((f) => IN_JAR.some((c) => f === `example/${c}.class` || f.startsWith(`example/${c}$`)));
  if (jarred.length) execFileSync("jar", ["cf", path.join(out, "lib", "handlers.jar"), ...jarred.flatMap((f) => ["-C", classes, f])], { stdio: "pipe" });
  for (const f of compiled.filter((f) => !jarred.includes(f))) cpSync(path.join(classes, f), path.join(out, f));
  try {
    renameSync(out, code);
  } catch (err) {
    if (!existsSync(code)) throw err;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return code;
}

/** The compiled fixture as a deployment zip. */
export async function javaFunctionZip(fixture = "java-handlers"): Promise<Buffer> {
  return zipDir(await javaFunctionDir(fixture));
}
