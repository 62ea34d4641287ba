/**
 * Shared setup of the docker backend tests: whether a Docker engine and the runtime images are
 * there (a skip reason outside CI, a failure under CI=true), a unique runner id per test file so
 * files running side by side never reap each other's containers, and `docker inspect` helpers.
 *
 * Needs: bash scripts/ci/ensure-docker.sh (a running engine) and npm run images -- --offline.
 */
import { randomBytes } from "node:crypto";
import Docker from "dockerode";
import pkg from "../../package.json" with { type: "json" };
import { DockerBackend, type DockerBackendOptions } from "../../runner/src/backends/docker/index.ts";
import { IS_CI } from "../support/services.ts";

export const docker = new Docker({ socketPath: "/var/run/docker.sock" });
export const IMAGE_TAG = pkg.version;
const SETUP = "start Docker with: bash scripts/ci/ensure-docker.sh, then build the images with: npm run images -- --offline";

/** Undefined when Docker answers and the runtime images are built; otherwise why not (throws under CI). */
export async function dockerSkipReason(): Promise<string | undefined> {
  let reason: string | undefined;
  try {
    await docker.ping();
    const missing: string[] = [];
    for (const id of ["nodejs20", "nodejs22", "python3.11", "python3.12", "java17", "ruby3.1", "provided"]) {
      const ref = `hotswap/runtime-${id}:${IMAGE_TAG}`;
      await docker
        .getImage(ref)
        .inspect()
        .catch(() => missing.push(ref));
    }
    if (missing.length) reason = `the runtime images ${missing.join(", ")} are not built; ${SETUP}`;
  } catch (err) {
    reason = `Docker is not reachable at /var/run/docker.sock (${(err as Error).message}); ${SETUP}`;
  }
  if (reason && IS_CI) throw new Error(`CI=true and ${reason}`);
  return reason;
}

/** A runner id no other test (or test file) uses. */
export function testRunnerId(label: string): string {
  return `test-${label}-${randomBytes(4).toString("hex")}`;
}

/** A docker backend for tests: host networking, so everything listens on 127.0.0.1. */
export function testBackend(label: string, over: Partial<DockerBackendOptions> = {}): DockerBackend {
  return new DockerBackend({ runnerId: testRunnerId(label), network: "host", imageTag: IMAGE_TAG, initTimeoutMs: 20_000, ...over });
}

/** Containers (running or not) labelled with a runner id. */
export async function containersOf(runnerId: string): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: { label: [`hotswap.runner=${runnerId}`] } });
}

/** Volumes whose name belongs to a runner id. */
export async function volumesOf(runnerId: string): Promise<string[]> {
  const { Volumes } = await docker.listVolumes({ filters: { label: [`hotswap.runner=${runnerId}`] } });
  return (Volumes ?? []).map((v) => v.Name);
}
