/**
 * Local base images for `npm run images -- --offline`, stand-ins for the official images that no
 * registry here can serve. Each keeps the official image's paths, so the runtime Dockerfiles run
 * unchanged on either:
 *   hotswap/base-debian:bookworm  debootstrap minbase + bash, curl, ca-certificates (for provided)
 *   hotswap/base-python:3.11      debootstrap minbase + Debian's python3 (3.11)
 *   hotswap/base-python:3.12      base-debian + the host's Python 3.12 under /usr/local
 *   hotswap/base-node:20|22       base-debian + a node binary at /usr/local/bin/node
 *   hotswap/base-ruby:3.1         debootstrap minbase + Debian's ruby (3.1), for ruby:3.1-slim-bookworm
 *   hotswap/base-java:17          debootstrap minbase + Debian's openjdk-17-jdk-headless (javac builds the bootstrap)
 * Each image carries a content hash of its inputs and is rebuilt only when they change.
 */
import { copyFile, mkdir, readFile, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { HASH_LABEL, fileFingerprint, hashOf } from "./content-hash.ts";
import { buildImage, importTarball, inspectImage, isCurrent, runInImage } from "./docker.ts";
import { ImagesError } from "./exec.ts";
import { findHostPython, hostLibraryNeeds, stageLibraries, stagePython } from "./host-python.ts";
import { resolveNodeBinary } from "./node-binary.ts";
import type { Progress } from "./progress.ts";
import { ensureRootfsTarball, rootfsKey, type RootfsSpec } from "./rootfs.ts";

const HERE = dirname(fileURLToPath(import.meta.url));

export type BaseId = "debian" | "python3.11" | "python3.12" | "node20" | "node22" | "ruby3.1" | "java17";

export const BASE_REFS: Record<BaseId, string> = {
  debian: "hotswap/base-debian:bookworm",
  "python3.11": "hotswap/base-python:3.11",
  "python3.12": "hotswap/base-python:3.12",
  node20: "hotswap/base-node:20",
  node22: "hotswap/base-node:22",
  "ruby3.1": "hotswap/base-ruby:3.1",
  java17: "hotswap/base-java:17",
};

/** Dependencies first: this is also the build order. */
const NEEDS: Record<BaseId, BaseId[]> = {
  debian: [],
  "python3.11": [],
  node20: ["debian"],
  node22: ["debian"],
  "python3.12": ["debian"],
  "ruby3.1": [],
  java17: [],
};

type ImportedId = "debian" | "python3.11" | "ruby3.1" | "java17";

const ROOTFS: Record<ImportedId, RootfsSpec> = {
  debian: { name: "base", suite: "bookworm", include: ["bash", "ca-certificates", "curl", "netbase"] },
  "python3.11": { name: "python3", suite: "bookworm", include: ["ca-certificates", "netbase", "python3", "python-is-python3"] },
  "ruby3.1": { name: "ruby", suite: "bookworm", include: ["ca-certificates", "netbase", "ruby"] },
  java17: { name: "java17", suite: "bookworm", include: ["ca-certificates", "netbase", "openjdk-17-jdk-headless"] },
};

const IMPORT_CHANGES: Record<ImportedId, string[]> = {
  debian: ["ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "ENV LANG=C.UTF-8", 'CMD ["bash"]'],
  "python3.11": ["ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "ENV LANG=C.UTF-8", 'CMD ["python3"]'],
  "ruby3.1": ["ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "ENV LANG=C.UTF-8", 'CMD ["irb"]'],
  java17: ["ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "ENV LANG=C.UTF-8", 'CMD ["jshell"]'],
};

export interface BaseOptions {
  cacheDir: string;
  force: boolean;
  progress: Progress;
  /** Debian mirror; default: the host's apt sources. */
  mirror?: string;
  /** Interpreter to copy into base-python:3.12; default: found on the host. */
  python312?: string;
}

export interface ImageOutcome {
  ref: string;
  status: "built" | "reused";
}

/** The base ids (with their dependencies, in build order) that `wanted` need. */
export function baseClosure(wanted: BaseId[]): BaseId[] {
  const all = new Set<BaseId>();
  const add = (id: BaseId) => {
    for (const d of NEEDS[id]) add(d);
    all.add(id);
  };
  wanted.forEach(add);
  return (Object.keys(NEEDS) as BaseId[]).filter((id) => all.has(id));
}

export async function ensureBaseImages(wanted: BaseId[], opts: BaseOptions): Promise<ImageOutcome[]> {
  // One at a time: the two debootstraps share their .deb cache, and on two cores running them side
  // by side was measured slower than in sequence.
  const outcomes: ImageOutcome[] = [];
  for (const id of baseClosure(wanted)) {
    if (id === "debian" || id === "python3.11" || id === "ruby3.1" || id === "java17") outcomes.push(await ensureImported(id, opts));
    else if (id === "node20" || id === "node22") outcomes.push(await ensureNode(id === "node20" ? 20 : 22, opts));
    else outcomes.push(await ensurePython312(opts));
  }
  return outcomes;
}

async function reuse(ref: string, hash: string, opts: BaseOptions): Promise<ImageOutcome | undefined> {
  if (opts.force || !(await isCurrent(ref, hash))) return undefined;
  opts.progress.line(ref, `up to date (${hash.slice(0, 12)})`);
  return { ref, status: "reused" };
}

async function ensureImported(id: ImportedId, opts: BaseOptions): Promise<ImageOutcome> {
  const ref = BASE_REFS[id];
  const spec = ROOTFS[id];
  const hash = hashOf("import", rootfsKey(spec), IMPORT_CHANGES[id]);
  const reused = await reuse(ref, hash, opts);
  if (reused) return reused;
  let tarball = "";
  await opts.progress.step(`rootfs ${spec.suite}-${spec.name}`, async () => {
    const r = await ensureRootfsTarball(spec, { cacheDir: opts.cacheDir, mirror: opts.mirror });
    tarball = r.tarball;
    return r.made ? `debootstrap --variant=minbase +${spec.include.join(",")}` : `cached ${tarball}`;
  });
  await opts.progress.step(ref, async () => {
    await importTarball(tarball, ref, [...IMPORT_CHANGES[id], `LABEL ${HASH_LABEL}=${hash}`], ref);
    return "docker import";
  });
  return { ref, status: "built" };
}

async function baseDebianId(): Promise<string> {
  const info = await inspectImage(BASE_REFS.debian);
  if (!info) throw new ImagesError(`${BASE_REFS.debian} is missing although it was just built`);
  return info.id;
}

/** A fresh build context dir under the cache, removed after the build: the image is the cache. */
async function withContext<T>(name: string, opts: BaseOptions, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = join(opts.cacheDir, "contexts", name);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function ensureNode(major: 20 | 22, opts: BaseOptions): Promise<ImageOutcome> {
  const ref = BASE_REFS[major === 20 ? "node20" : "node22"];
  const dockerfile = join(HERE, "base-node.Dockerfile");
  let bin: Awaited<ReturnType<typeof resolveNodeBinary>> | undefined;
  await opts.progress.step(`node ${major} binary`, async () => {
    bin = await resolveNodeBinary(major, opts.cacheDir);
    return `${bin.version} from ${bin.source}`;
  });
  const node = bin!;
  const hash = hashOf("node", major, node.version, await fileFingerprint(node.path), await readFile(dockerfile, "utf8"), await baseDebianId());
  const reused = await reuse(ref, hash, opts);
  if (reused) return reused;
  await opts.progress.step(ref, () =>
    withContext(`base-node-${major}`, opts, async (ctx) => {
      await copyFile(node.path, join(ctx, "node"));
      await buildImage({
        context: ctx,
        dockerfile,
        tags: [ref],
        buildArgs: { FROM_IMAGE: BASE_REFS.debian, NODE_VERSION: node.version.replace(/^v/, "") },
        labels: { [HASH_LABEL]: hash },
        noCache: opts.force,
        logFile: await logFile(opts, `base-node-${major}`),
        what: ref,
      });
      return `docker build (node ${node.version})`;
    }),
  );
  return { ref, status: "built" };
}

/** Bump when stagePython's selection changes. */
const PYTHON_STAGE_FORMAT = 1;

async function ensurePython312(opts: BaseOptions): Promise<ImageOutcome> {
  const ref = BASE_REFS["python3.12"];
  const dockerfile = join(HERE, "base-python.Dockerfile");
  const py = await findHostPython("3.12", opts.python312);
  const hash = hashOf(
    "python",
    PYTHON_STAGE_FORMAT,
    py.version,
    await fileFingerprint(py.executable),
    py.libpython ? await fileFingerprint(py.libpython) : null,
    await readFile(dockerfile, "utf8"),
    await baseDebianId(),
  );
  const reused = await reuse(ref, hash, opts);
  if (reused) return reused;
  await opts.progress.step(ref, () =>
    withContext("base-python-3.12", opts, async (ctx) => {
      const elves = await stagePython(py, "3.12", ctx);
      const needs = await hostLibraryNeeds(elves, join(ctx, "local"), py.prefix);
      // Which of those the bookworm rootfs lacks: ask the base image itself.
      const paths = [...needs.values()];
      const absent = new Set(
        (await runInImage(BASE_REFS.debian, "sh", ["-c", 'for p in "$@"; do [ -e "$p" ] || echo "$p"; done', "sh", ...paths]))
          .split("\n")
          .filter(Boolean),
      );
      const copy = new Map([...needs].filter(([, path]) => absent.has(path)));
      await stageLibraries(copy, ctx);
      await buildImage({
        context: ctx,
        dockerfile,
        tags: [ref],
        buildArgs: { FROM_IMAGE: BASE_REFS.debian, PYTHON_VERSION: py.version },
        labels: { [HASH_LABEL]: hash },
        noCache: opts.force,
        logFile: await logFile(opts, "base-python-3.12"),
        what: ref,
      });
      return `docker build (Python ${py.version} from ${py.prefix}, +${copy.size} host libs)`;
    }),
  );
  return { ref, status: "built" };
}

export async function logFile(opts: { cacheDir: string }, name: string): Promise<string> {
  const dir = join(opts.cacheDir, "logs");
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${name}.log`);
  await rm(path, { force: true });
  return path;
}
