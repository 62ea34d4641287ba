/**
 * Builds one runtime image `hotswap/runtime-<id>:<version>` (also tagged `:latest`) from
 * runtimes/<dir>/Dockerfile, or reuses it when its content hash label still matches.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { BASE_REFS, logFile, type ImageOutcome } from "./base-images.ts";
import { HASH_LABEL, hashOf, hashTree } from "./content-hash.ts";
import { buildImage, inspectImage, isCurrent, tagImage } from "./docker.ts";
import { ImagesError } from "./exec.ts";
import type { Progress } from "./progress.ts";
import { runtimeImageRepo, type RuntimeImage } from "./runtimes.ts";

/** Bump to rebuild every runtime image whatever its inputs (e.g. after changing how labels are set). */
const RUNTIME_FORMAT = 1;

export interface RuntimeBuildOptions {
  runtimesDir: string;
  version: string;
  offline: boolean;
  force: boolean;
  cacheDir: string;
  progress: Progress;
  /** For messages: paths are shown relative to this. */
  repoRoot: string;
}

export async function ensureRuntimeImage(rt: RuntimeImage, opts: RuntimeBuildOptions): Promise<ImageOutcome> {
  const context = join(opts.runtimesDir, rt.dir);
  const dockerfile = join(context, "Dockerfile");
  const show = (p: string) => relative(opts.repoRoot, p) || p;
  for (const f of ["Dockerfile", ...rt.required]) {
    if (!existsSync(join(context, f))) {
      throw new ImagesError(`${show(join(context, f))} is missing: the ${rt.id} image cannot be built without it`);
    }
  }
  const repo = runtimeImageRepo(rt.id);
  const ref = `${repo}:${opts.version}`;
  const latest = `${repo}:latest`;
  const base = opts.offline ? BASE_REFS[rt.offlineBase] : rt.officialBase;
  // The base's id pins what was built on (a rebuilt base means a rebuilt runtime); an official
  // base not pulled yet has none, and the build pulls it.
  const baseInfo = await inspectImage(base);
  if (opts.offline && !baseInfo) throw new ImagesError(`${base} is missing; it should have been built before ${ref}`);
  const hash = hashOf("runtime", RUNTIME_FORMAT, rt.id, base, baseInfo?.id ?? null, await hashTree(context));

  if (!opts.force && (await isCurrent(ref, hash))) {
    await tagImage(ref, latest);
    opts.progress.line(ref, `up to date (${hash.slice(0, 12)})`);
    return { ref, status: "reused" };
  }
  await opts.progress.step(ref, async () => {
    const log = await logFile(opts, `runtime-${rt.id}`);
    try {
      await buildImage({
        context,
        dockerfile,
        tags: [ref, latest],
        buildArgs: { BASE_IMAGE: base },
        labels: { [HASH_LABEL]: hash, "org.hotswap.runtime": rt.id, "org.opencontainers.image.version": opts.version },
        noCache: opts.force,
        logFile: log,
        what: `${ref} (${show(dockerfile)}, BASE_IMAGE=${base})`,
      });
    } catch (err) {
      if (!opts.offline && err instanceof ImagesError && (await cannotPull(log))) {
        throw new ImagesError(`${err.message}\n  ${base} cannot be pulled (no registry reachable?): build local base images with: npm run images -- --offline`);
      }
      throw err;
    }
    return `docker build FROM ${base}`;
  });
  return { ref, status: "built" };
}

async function cannotPull(log: string): Promise<boolean> {
  const text = await readFile(log, "utf8").catch(() => "");
  return /registry|pull access denied|manifest unknown|no such host|i\/o timeout/i.test(text);
}

/** Read the version all runtime images are tagged with. */
export async function packageVersion(repoRoot: string): Promise<string> {
  const pkg = JSON.parse(await readFile(join(repoRoot, "package.json"), "utf8")) as { version?: string };
  if (!pkg.version) throw new ImagesError("package.json has no version to tag the images with");
  return pkg.version;
}
