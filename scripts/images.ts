/**
 * `npm run images [-- --offline] [--only nodejs20,python3.12] [--force]`
 *
 * Builds the runtime images hotswap/runtime-<id>:<package version> (and :latest) for nodejs20,
 * nodejs22, python3.11, python3.12, ruby3.1 and provided from runtimes/<lang>/Dockerfile. With --offline
 * (no registry reachable, as in CI) it first builds local stand-ins for the official base images
 * (scripts/images/base-images.ts) and passes them as BASE_IMAGE. Images whose inputs did not change
 * are reused, so a rerun takes seconds. Progress goes to stderr; a summary table to stdout.
 */
import { mkdir } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ensureBaseImages, type ImageOutcome } from "./images/base-images.ts";
import { assertDockerRunning, inspectImage } from "./images/docker.ts";
import { ImagesError } from "./images/exec.ts";
import { Progress } from "./images/progress.ts";
import { ensureRuntimeImage, packageVersion } from "./images/runtime-build.ts";
import { RUNTIME_IMAGES, type RuntimeImage } from "./images/runtimes.ts";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

const USAGE = `usage: npm run images -- [--offline] [--only <id>,<id>...] [--force]
  --offline        build local base images first (debootstrap, host binaries) instead of pulling official ones
  --only <ids>     build only these runtimes: ${RUNTIME_IMAGES.map((r) => r.id).join(", ")}
  --force          rebuild every image even when its content hash is unchanged (downloads stay cached)
  --cache-dir <d>  where rootfs tarballs, node binaries and logs are kept
                   (default: $HOTSWAP_CACHE_DIR, else /var/cache/hotswap as root, else .hotswap/cache)
  --runtimes-dir <d>  build from another copy of runtimes/ (default: ./runtimes)
env: HOTSWAP_DEBIAN_MIRROR (default: the host's apt source for bookworm), HOTSWAP_PYTHON312 (interpreter to copy)`;

interface Cli {
  offline: boolean;
  force: boolean;
  only: RuntimeImage[];
  cacheDir: string;
  runtimesDir: string;
}

function parseCli(argv: string[], env: NodeJS.ProcessEnv): Cli | "help" {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        offline: { type: "boolean", default: false },
        force: { type: "boolean", default: false },
        only: { type: "string" },
        "cache-dir": { type: "string" },
        "runtimes-dir": { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new ImagesError(`${(err as Error).message}\n${USAGE}`);
  }
  if (values.help) return "help";
  let only = RUNTIME_IMAGES;
  if (values.only !== undefined) {
    const ids = values.only.split(",").map((s) => s.trim()).filter(Boolean);
    const unknown = ids.filter((id) => !RUNTIME_IMAGES.some((r) => r.id === id));
    if (unknown.length || ids.length === 0) {
      throw new ImagesError(`--only: unknown runtime ${unknown.map((u) => `"${u}"`).join(", ") || "(none given)"}; known: ${RUNTIME_IMAGES.map((r) => r.id).join(", ")}`);
    }
    only = RUNTIME_IMAGES.filter((r) => ids.includes(r.id));
  }
  const cacheDir = resolve(
    values["cache-dir"] ?? env.HOTSWAP_CACHE_DIR ?? (process.getuid?.() === 0 ? "/var/cache/hotswap" : join(REPO_ROOT, ".hotswap", "cache")),
  );
  return {
    offline: values.offline ?? false,
    force: values.force ?? false,
    only,
    cacheDir,
    runtimesDir: resolve(values["runtimes-dir"] ?? join(REPO_ROOT, "runtimes")),
  };
}

async function main(): Promise<void> {
  const started = performance.now();
  const cli = parseCli(process.argv.slice(2), process.env);
  if (cli === "help") {
    console.log(USAGE);
    return;
  }
  const progress = new Progress();
  const version = await packageVersion(REPO_ROOT);
  await mkdir(cli.cacheDir, { recursive: true });
  await progress.step("docker engine", async () => `answers (server ${await assertDockerRunning()})`);

  const outcomes: ImageOutcome[] = [];
  if (cli.offline) {
    outcomes.push(
      ...(await ensureBaseImages(
        cli.only.map((r) => r.offlineBase),
        {
          cacheDir: cli.cacheDir,
          force: cli.force,
          progress,
          mirror: process.env.HOTSWAP_DEBIAN_MIRROR,
          python312: process.env.HOTSWAP_PYTHON312,
        },
      )),
    );
  }
  for (const rt of cli.only) {
    outcomes.push(
      await ensureRuntimeImage(rt, {
        runtimesDir: cli.runtimesDir,
        version,
        offline: cli.offline,
        force: cli.force,
        cacheDir: cli.cacheDir,
        progress,
        repoRoot: REPO_ROOT,
      }),
    );
  }

  const rows = await Promise.all(
    outcomes.map(async (o) => {
      const size = (await inspectImage(o.ref))?.size ?? 0;
      return `${o.ref.padEnd(36)} ${o.status.padEnd(7)} ${(size / 1e6).toFixed(0).padStart(5)} MB`;
    }),
  );
  console.log(rows.join("\n"));
  const built = outcomes.filter((o) => o.status === "built").length;
  progress.line("done", `${built} built, ${outcomes.length - built} up to date`, performance.now() - started);
}

main().catch((err: unknown) => {
  if (err instanceof ImagesError) {
    process.stderr.write(`images: ${err.message}\n`);
  } else {
    process.stderr.write(`images: unexpected error: ${(err as Error)?.stack ?? String(err)}\n`);
  }
  process.exitCode = 1;
});
