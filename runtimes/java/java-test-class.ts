/**
 * Runs one of the Java bootstrap's own test programs (runtimes/java/test/…, standard library only):
 * compiles it against the compiled bootstrap, runs its main, and returns how many checks passed.
 * Each program prints "FAIL <what>" lines and exits 1, or prints "OK <n> checks" and exits 0.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ensureJavaBootstrap } from "../../runner/src/backends/process/java-bootstrap.ts";

const HERE = fileURLToPath(new URL(".", import.meta.url));

/** The compiled bootstrap's class directory (compiled once per source hash). */
export function bootstrapClasses(): Promise<string> {
  return ensureJavaBootstrap(path.join(HERE, "src"), "javac");
}

export async function runJavaTestClass(name: string, args: string[] = []): Promise<number> {
  const classes = await bootstrapClasses();
  const out = await mkdtemp(path.join(tmpdir(), "hotswap-java-test-"));
  try {
    const source = path.join(HERE, "test", "dev", "hotswap", "bootstrap", `${name}.java`);
    execFileSync("javac", ["--release", "17", "-nowarn", "-cp", classes, "-d", out, source], { stdio: "pipe" });
    let stdout = "";
    try {
      stdout = execFileSync("java", ["-cp", `${classes}${path.delimiter}${out}`, `dev.hotswap.bootstrap.${name}`, ...args], { encoding: "utf8", timeout: 120_000 });
    } catch (err) {
      assert.fail(`${name} failed:\n${(err as { stdout?: string }).stdout ?? ""}${(err as { stderr?: string }).stderr ?? ""}`);
    }
    const m = /^OK (\d+) checks$/m.exec(stdout);
    assert.ok(m, stdout);
    return Number(m[1]);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}
