/**
 * The create-container request for one instance, as a pure function of what it runs: the
 * isolation and limits every function container gets (memory without swap, CPU shares
 * proportional to memory, a pids limit, a read-only root with a size-limited /tmp, no new
 * privileges, no capabilities, a non-root user), its environment built from nothing, its
 * entrypoint, and the hotswap.* labels. Kept apart from the Docker calls so it can be read and
 * tested on its own.
 */
import type Docker from "dockerode";
import type { FunctionSpec } from "../../../../protocol/invoke.ts";
import { runtimeFamily, type RuntimeId } from "../../../../protocol/runtimes.ts";
import { buildChildEnv, type InitializationType } from "../common/child-env.ts";
import { nodeHeapMb } from "../common/node-heap.ts";
import { javaArgs } from "../common/java-options.ts";

/** Where function code appears in every container, as in Lambda. */
export const TASK_ROOT = "/var/task";
/** Where Lambda puts layers. */
export const LAYERS_ROOT = "/opt";
/** The image's own directory under /opt (bootstrap, code loader): never bound over. */
const RUNTIME_ENTRY = "hotswap";

/** One read-only bind per top-level entry of the merged layers, at /opt/<entry>. */
export function layerBinds(layers: InstanceContainerInput["layers"]): string[] {
  if (!layers) return [];
  return layers.entries.filter((e) => e !== RUNTIME_ENTRY && !e.includes("/") && !e.includes(":")).map((e) => `${layers.source}/${e}:${LAYERS_ROOT}/${e}:ro`);
}
/** The images' non-root user (runtimes/*\/Dockerfile). */
export const FUNCTION_USER = "10001:10001";
/** Lambda gives one vCPU at 1769 MB; shares scale the same way (1024 shares = one default container). */
const MB_PER_VCPU = 1769;

export const LABEL = {
  managed: "hotswap.managed",
  runner: "hotswap.runner",
  function: "hotswap.function",
  version: "hotswap.version",
  role: "hotswap.role",
  runtime: "hotswap.runtime",
  instance: "hotswap.instance",
} as const;

export type ContainerRole = "instance" | "stem" | "loader";

export interface Isolation {
  /** "host", "bridge" or a user-defined network name. */
  network: string;
  /** Extra /etc/hosts lines, e.g. host.docker.internal:host-gateway. */
  extraHosts: string[];
  pidsLimit: number;
  /** Size of the writable /tmp tmpfs, MB (Lambda's default ephemeral storage is 512 MB). */
  tmpSizeMb: number;
}

export interface InstanceContainerInput {
  runnerId: string;
  instanceId: string;
  name: string;
  image: string;
  runtime: RuntimeId;
  memorySize: number;
  /** Undefined for a stem. */
  spec?: FunctionSpec;
  /** Daemon-side path bound read-only at /var/task. */
  codeSource: string;
  /**
   * The version's merged layers: the daemon-side path of the tree and its top-level entries, each
   * bound read-only at /opt/<entry> (not the whole of /opt: the image keeps its runtime in /opt/hotswap).
   */
  layers?: { source: string; entries: string[] };
  /** HOTSWAP_CHANNEL_TCP/TOKEN or AWS_LAMBDA_RUNTIME_API. */
  channel: Record<string, string>;
  isolation: Isolation;
  initializationType?: InitializationType;
}

/** LAMBDA_RUNTIME_DIR inside a container: where the image keeps the bootstrap. */
export function runtimeDirFor(runtime: RuntimeId): string {
  return runtimeFamily(runtime) === "provided" ? TASK_ROOT : "/opt/hotswap";
}

/** CPU shares for a memory size, never below Docker's minimum of 2. */
export function cpuSharesFor(memorySize: number): number {
  return Math.max(2, Math.round((memorySize * 1024) / MB_PER_VCPU));
}

/** Memory limits for a memory size: swap equal to memory means no swap at all. */
export function memoryLimits(memorySize: number): { Memory: number; MemorySwap: number; CpuShares: number } {
  const bytes = memorySize * 1024 * 1024;
  return { Memory: bytes, MemorySwap: bytes, CpuShares: cpuSharesFor(memorySize) };
}

export function entrypointFor(runtime: RuntimeId, memorySize: number): string[] {
  switch (runtimeFamily(runtime)) {
    case "node":
      return ["node", `--max-old-space-size=${nodeHeapMb(memorySize)}`, "/opt/hotswap/bootstrap.mjs"];
    case "python":
      return ["python3", "-B", "/opt/hotswap/bootstrap.py"];
    case "ruby":
      return ["ruby", "/opt/hotswap/bootstrap.rb"];
    case "java":
      return ["java", ...javaArgs(memorySize, "/opt/hotswap/classes")];
    default:
      return [`${TASK_ROOT}/bootstrap`];
  }
}

export function labelsFor(runnerId: string, role: ContainerRole, extra: { spec?: FunctionSpec; runtime?: RuntimeId; instanceId?: string } = {}): Record<string, string> {
  return {
    [LABEL.managed]: "true",
    [LABEL.runner]: runnerId,
    [LABEL.role]: role,
    // A stem does not know its function yet; labels cannot change after creation, so they stay empty.
    [LABEL.function]: extra.spec?.functionName ?? "",
    [LABEL.version]: extra.spec ? String(extra.spec.version) : "",
    ...(extra.runtime ? { [LABEL.runtime]: extra.runtime } : {}),
    ...(extra.instanceId ? { [LABEL.instance]: extra.instanceId } : {}),
  };
}

/** Security settings shared by function containers and the code loader. */
export function lockedDown(): Pick<Docker.HostConfig, "ReadonlyRootfs" | "SecurityOpt" | "CapDrop" | "Init" | "IpcMode"> {
  return { ReadonlyRootfs: true, SecurityOpt: ["no-new-privileges"], CapDrop: ["ALL"], Init: true, IpcMode: "private" };
}

export function instanceContainer(input: InstanceContainerInput): Docker.ContainerCreateOptions {
  const { spec, isolation } = input;
  const env = buildChildEnv({
    memorySize: input.memorySize,
    spec,
    codeDir: TASK_ROOT,
    ...(input.layers ? { layersDir: LAYERS_ROOT } : {}),
    channel: input.channel,
    initializationType: input.initializationType,
    runtimeDir: runtimeDirFor(input.runtime),
  });
  return {
    name: input.name,
    Image: input.image,
    Entrypoint: entrypointFor(input.runtime, input.memorySize),
    Cmd: [],
    Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
    User: FUNCTION_USER,
    WorkingDir: TASK_ROOT,
    Labels: labelsFor(input.runnerId, spec ? "instance" : "stem", { spec, runtime: input.runtime, instanceId: input.instanceId }),
    AttachStdin: false,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    OpenStdin: false,
    HostConfig: {
      ...lockedDown(),
      ...memoryLimits(input.memorySize),
      PidsLimit: isolation.pidsLimit,
      Binds: [`${input.codeSource}:${TASK_ROOT}:ro`, ...layerBinds(input.layers)],
      Tmpfs: { "/tmp": `rw,nosuid,nodev,size=${isolation.tmpSizeMb}m,mode=1777` },
      NetworkMode: isolation.network,
      ExtraHosts: isolation.extraHosts.length ? isolation.extraHosts : undefined,
      // Output reaches the runner through attach; the daemon keeps only a small tail for `docker logs`.
      LogConfig: { Type: "json-file", Config: { "max-size": "1m", "max-file": "1" } },
      AutoRemove: false,
    },
  };
}
