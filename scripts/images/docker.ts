/**
 * The few Docker CLI calls the image build needs: is the engine up, what an image's label and id
 * are, build, import, tag. The CLI (not dockerode) keeps `docker build` output and .dockerignore
 * handling identical to what a person types.
 */
import { HASH_LABEL } from "./content-hash.ts";
import { ImagesError, check, run, tailFile } from "./exec.ts";

const ENSURE = "bash scripts/ci/ensure-docker.sh";

/** Throws with the way out when the docker CLI is missing or the engine does not answer. */
export async function assertDockerRunning(): Promise<string> {
  let r;
  try {
    r = await run("docker", ["info", "--format", "{{.ServerVersion}}"], { timeoutMs: 20_000 });
  } catch (err) {
    if (err instanceof ImagesError) throw new ImagesError(`the docker CLI is not installed; run: ${ENSURE}`);
    throw err;
  }
  const version = r.stdout.trim();
  if (r.code !== 0 || !version) {
    const why = r.stderr.trim().split("\n").pop() ?? "";
    throw new ImagesError(`the Docker engine is not running (docker info: ${why || `exit ${r.code}`}); start it with: ${ENSURE}`);
  }
  return version;
}

export interface ImageInfo {
  id: string;
  labels: Record<string, string>;
  size: number;
}

/** The image's id, labels and size, or undefined when no such image exists locally. */
export async function inspectImage(ref: string): Promise<ImageInfo | undefined> {
  const r = await run("docker", ["image", "inspect", "--format", "{{json .}}", ref]);
  if (r.code !== 0) return undefined;
  const data = JSON.parse(r.stdout) as { Id: string; Size: number; Config?: { Labels?: Record<string, string> | null } };
  return { id: data.Id, labels: data.Config?.Labels ?? {}, size: data.Size };
}

/** True when `ref` exists and carries `hash` in its content-hash label. */
export async function isCurrent(ref: string, hash: string): Promise<boolean> {
  return (await inspectImage(ref))?.labels[HASH_LABEL] === hash;
}

export interface BuildArgs {
  context: string;
  dockerfile: string;
  tags: string[];
  buildArgs: Record<string, string>;
  labels: Record<string, string>;
  noCache?: boolean;
  logFile: string;
  /** Shown in the error: what was being built. */
  what: string;
}

/**
 * Remove the image a rebuild untagged, so reruns do not pile up <none> images. Docker refuses while
 * another tag or a container still uses it; that is fine and ignored.
 */
async function dropReplaced(oldId: string | undefined, ref: string): Promise<void> {
  if (!oldId) return;
  const now = await inspectImage(ref);
  if (now && now.id !== oldId) await run("docker", ["image", "rm", oldId]);
}

export async function buildImage(a: BuildArgs): Promise<void> {
  const oldId = (await inspectImage(a.tags[0]))?.id;
  const args = ["build", "-f", a.dockerfile];
  for (const [k, v] of Object.entries(a.buildArgs)) args.push("--build-arg", `${k}=${v}`);
  for (const [k, v] of Object.entries(a.labels)) args.push("--label", `${k}=${v}`);
  for (const t of a.tags) args.push("-t", t);
  if (a.noCache) args.push("--no-cache");
  args.push(a.context);
  const r = await run("docker", args, { logFile: a.logFile });
  if (r.code !== 0) {
    throw new ImagesError(`docker build of ${a.what} failed (exit ${r.code}); last lines of ${a.logFile}:\n${await tailFile(a.logFile, 20)}`);
  }
  await dropReplaced(oldId, a.tags[0]);
}

/** `docker import` a rootfs tarball with Dockerfile-style changes (ENV, CMD, LABEL...). */
export async function importTarball(tarball: string, ref: string, changes: string[], what: string): Promise<void> {
  const oldId = (await inspectImage(ref))?.id;
  const args = ["import"];
  for (const c of changes) args.push("--change", c);
  args.push(tarball, ref);
  check(await run("docker", args), `docker import of ${what}`);
  await dropReplaced(oldId, ref);
}

export async function tagImage(source: string, target: string): Promise<void> {
  check(await run("docker", ["tag", source, target]), `docker tag ${source} ${target}`);
}

/** Run a throwaway container with no network and return its stdout. */
export async function runInImage(ref: string, entrypoint: string, args: string[]): Promise<string> {
  const r = await run("docker", ["run", "--rm", "--network", "none", "--entrypoint", entrypoint, ref, ...args], { timeoutMs: 60_000 });
  return check(r, `docker run ${ref} ${entrypoint}`).stdout;
}
