/**
 * Builds a Go `provided` function the way its README says (GOOS=linux CGO_ENABLED=0 go build -o
 * bootstrap), offline with Debian's Go: the local toolchain only (GOTOOLCHAIN=local), no module
 * downloads (the examples use the standard library only), a build cache kept between runs under
 * the OS temp dir and a GOPATH of the build's own. Returns the directory holding `bootstrap` and
 * its zip. Without `go` it gives a skip reason, or throws under CI=true
 * (scripts/ci/ensure-ruby-go.sh installs golang-go).
 */
import { execFile, spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { IS_CI } from "./services.ts";
import { zipDir } from "./zip.ts";

const run = promisify(execFile);

/** Undefined when `go` runs here; otherwise why not (throws under CI=true). */
export function goSkipReason(): string | undefined {
  const probe = spawnSync("go", ["version"], { encoding: "utf8" });
  if (!probe.error && probe.status === 0) return undefined;
  const reason = `go is not available (${probe.error?.message ?? probe.stderr.trim()}); install it with: apt-get install golang-go`;
  if (IS_CI) throw new Error(`CI=true and ${reason}`);
  return reason;
}

export interface GoBuild {
  /** A directory holding only the executable `bootstrap`: a provided function's code. */
  dir: string;
  /** That directory zipped, the executable bit kept. */
  zip: Buffer;
  remove(): Promise<void>;
}

/** Build the Go program in `srcDir` into `<dir>/bootstrap` and zip it. */
export async function buildGoBootstrap(srcDir: string): Promise<GoBuild> {
  const work = await mkdtemp(join(tmpdir(), "hs-go-build-"));
  const dir = join(work, "code");
  const env = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: work,
    GOCACHE: join(tmpdir(), "hotswap-go-cache"),
    GOPATH: join(work, "gopath"),
    GOTOOLCHAIN: "local",
    GOFLAGS: "",
    GOPROXY: "off",
    GOOS: "linux",
    CGO_ENABLED: "0",
  };
  try {
    await run("go", ["build", "-trimpath", "-ldflags=-s -w", "-o", join(dir, "bootstrap"), "."], { cwd: srcDir, env, timeout: 300_000 });
  } catch (err) {
    await rm(work, { recursive: true, force: true });
    const e = err as Error & { stderr?: string };
    throw new Error(`go build in ${srcDir} failed: ${e.stderr || e.message}`);
  }
  return { dir, zip: zipDir(dir), remove: () => rm(work, { recursive: true, force: true }) };
}
