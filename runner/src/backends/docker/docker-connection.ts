/**
 * How the docker backend reaches the Docker Engine API (a DOCKER_HOST value turned into dockerode
 * options), and how a failure to reach it becomes the error users see: a BackendUnavailableError
 * with code ServiceUnavailable (HTTP 503) that names Docker and where it was looked for.
 */
import type Docker from "dockerode";
import { BackendUnavailableError } from "../backend.ts";

export const DEFAULT_DOCKER_SOCKET = "/var/run/docker.sock";

export interface DockerEndpoint {
  options: Docker.DockerOptions;
  /** For messages: unix:///var/run/docker.sock, tcp://10.0.0.5:2375. */
  describe: string;
}

/** Dockerode options for `unix:///path`, a bare socket path, or `tcp://host:port` (plain HTTP). */
export function dockerEndpoint(dockerHost?: string): DockerEndpoint {
  const value = dockerHost?.trim() || `unix://${DEFAULT_DOCKER_SOCKET}`;
  if (value.startsWith("unix://") || value.startsWith("/")) {
    const socketPath = value.startsWith("unix://") ? value.slice("unix://".length) : value;
    return { options: { socketPath }, describe: `unix://${socketPath}` };
  }
  if (value.startsWith("tcp://") || value.startsWith("http://")) {
    const u = new URL(value.replace(/^tcp:/, "http:"));
    return { options: { host: u.hostname, port: Number(u.port || 2375), protocol: "http" }, describe: `tcp://${u.host}` };
  }
  throw new Error(`DOCKER_HOST=${value} is not supported: use unix:///path/to/docker.sock or tcp://host:port`);
}

const UNREACHABLE_CODES = new Set(["ECONNREFUSED", "ENOENT", "EACCES", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN"]);

/** True when `err` says the Docker API could not be reached at all (as opposed to refusing a request). */
export function isUnreachable(err: unknown): boolean {
  const e = err as { code?: string; statusCode?: number; message?: string } | undefined;
  if (!e) return false;
  if (e.statusCode !== undefined) return false;
  return (e.code !== undefined && UNREACHABLE_CODES.has(e.code)) || /socket hang up/.test(e.message ?? "");
}

/** HTTP status of a Docker API error, if it came back from the daemon. */
export function statusOf(err: unknown): number | undefined {
  return (err as { statusCode?: number } | undefined)?.statusCode;
}

export function dockerUnavailable(where: string, err: unknown): BackendUnavailableError {
  const why = (err as Error)?.message ?? String(err);
  return new BackendUnavailableError(
    `Docker is unreachable at ${where} (${why}): the docker backend cannot start function containers. Start the Docker daemon, or point DOCKER_HOST at it.`,
    "ServiceUnavailable",
  );
}

/** Rethrow an unreachable-daemon error as BackendUnavailableError; anything else as it is. */
export function rethrowDocker(where: string, err: unknown): never {
  if (err instanceof BackendUnavailableError) throw err;
  if (isUnreachable(err)) throw dockerUnavailable(where, err);
  throw err;
}
