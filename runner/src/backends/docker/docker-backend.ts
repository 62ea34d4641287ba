/**
 * Execution backend that runs instances as containers through the Docker Engine API (dockerode),
 * from the runtime images hotswap/runtime-<id>:<version>. It owns what a runner keeps on a Docker
 * host: its function containers, its code volume and code loader (code-volume.ts), one TCP
 * listener for the fast channel (channel-listener.ts) and a Runtime API server per runtime-api
 * instance. Every container carries hotswap.* labels; at start-up the containers and volume a
 * crashed predecessor with the same runner id left behind are removed, and close() removes all of
 * this runner's. When Docker cannot be reached, start() rejects with BackendUnavailableError
 * (ServiceUnavailable, a 503 naming Docker) and the runner keeps running.
 */
import { randomBytes } from "node:crypto";
import { readdir } from "node:fs/promises";
import { basename, join } from "node:path";
import Docker from "dockerode";
import type { RuntimeAvailability } from "../../../../protocol/runner.ts";
import { RUNTIME_IDS, runtimeFamily, supportsProtocol, type RuntimeId } from "../../../../protocol/runtimes.ts";
import { BackendUnavailableError, InitError, type ExecutionBackend, type Instance, type StartOptions } from "../backend.ts";
import { ChannelListener } from "../../channel/channel-listener.ts";
import { FastChannel } from "../../channel/fast-channel.ts";
import { RuntimeApiServer } from "../../channel/runtime-api-server.ts";
import type { FunctionLogOutput } from "../../logs/instance-log.ts";
import { checkBootstrap } from "../common/provided-bootstrap.ts";
import { CodeVolume, codeVolumeName, nameSlug } from "./code-volume.ts";
import { instanceContainer, LABEL, runtimeDirFor } from "./container-spec.ts";
import { dockerEndpoint, dockerUnavailable, isUnreachable, rethrowDocker, statusOf } from "./docker-connection.ts";
import { DockerInstance } from "./docker-instance.ts";
import { containerAddresses, peerList, resolveNetworking, type Networking } from "./networking.ts";
import pkg from "../../../../package.json" with { type: "json" };

export interface DockerBackendOptions {
  /**
   * This runner's id, written into every container's hotswap.runner label. Containers and volumes
   * carrying it when the backend starts were left by a crashed predecessor and are removed.
   */
  runnerId: string;
  /** Docker Engine API address: unix:///var/run/docker.sock (default), a socket path, or tcp://host:port. */
  dockerHost?: string;
  /** "host", "bridge" (default) or a user-defined network the runner can be reached on. */
  network?: string;
  /**
   * Address containers use to reach the runner (fast channel and Runtime API). Default: 127.0.0.1
   * with host networking, else the network's gateway (the Docker host as the containers see it).
   * Set it to the runner's container name when the runner itself runs in a container on `network`.
   */
  runtimeApiHost?: string;
  /** Address the runner's listeners bind. Default: runtimeApiHost when it is an IP address, else 0.0.0.0. */
  listenHost?: string;
  /** Image per runtime id. Default hotswap/runtime-<id>:<imageTag>. */
  images?: Partial<Record<RuntimeId, string>>;
  /** Tag of the default images. Default: the package version. */
  imageTag?: string;
  /** Image holding the code loader. Default: the nodejs20 image, else the nodejs22 one. */
  loaderImage?: string;
  /** Where every instance's function-log records go, and the flood limits. Default: records are dropped. */
  logOutput?: FunctionLogOutput;
  /** Bound on container start plus handler load. Default 10 000 ms. */
  initTimeoutMs?: number;
  /** Grace between SIGTERM and SIGKILL in Instance.stop(). Default 2000 ms. */
  stopGraceMs?: number;
  /** Processes and threads per container. Default 512. */
  pidsLimit?: number;
  /** Size of each container's /tmp (tmpfs), MB. Default 512, Lambda's default ephemeral storage. */
  tmpSizeMb?: number;
}

/** What the backend sets up once per process, lazily, and again after a failure. */
interface Prepared extends Networking {
  listener: ChannelListener;
  volume: CodeVolume;
}

export class DockerBackend implements ExecutionBackend {
  readonly kind = "docker" as const;
  /** The hotswap.runner label of this backend's containers. */
  readonly runnerId: string;
  readonly docker: Docker;
  /** unix:///var/run/docker.sock or tcp://..., for messages. */
  readonly where: string;
  private readonly opts: DockerBackendOptions;
  private readonly images: Record<RuntimeId, string>;
  private readonly instances = new Set<DockerInstance>();
  /** Removals of exited containers in flight; close() waits for them. */
  private readonly removals = new Set<Promise<unknown>>();
  private readonly foundImages = new Map<RuntimeId, RuntimeAvailability>();
  private prepared: Promise<Prepared> | undefined;
  private closed = false;

  constructor(opts: DockerBackendOptions) {
    this.opts = opts;
    this.runnerId = opts.runnerId;
    const endpoint = dockerEndpoint(opts.dockerHost);
    this.docker = new Docker(endpoint.options);
    this.where = endpoint.describe;
    const tag = opts.imageTag ?? pkg.version;
    this.images = Object.fromEntries(RUNTIME_IDS.map((id) => [id, opts.images?.[id] ?? `hotswap/runtime-${id}:${tag}`])) as Record<RuntimeId, string>;
  }

  /**
   * Connect, remove what a crashed predecessor left, and set up the code volume and listeners.
   * Called by start(); call it at runner start-up to reap orphans at once. Retried after a failure.
   */
  open(): Promise<Prepared> {
    if (this.closed) return Promise.reject(new BackendUnavailableError("the docker backend is closed", "ServiceUnavailable"));
    if (!this.prepared) {
      this.prepared = this.prepare();
      this.prepared.catch(() => (this.prepared = undefined));
    }
    return this.prepared;
  }

  async runtimes(): Promise<RuntimeAvailability[]> {
    return Promise.all(RUNTIME_IDS.map((id) => this.availability(id)));
  }

  async healthCheck(): Promise<void> {
    try {
      await this.ping(3000);
    } catch (err) {
      throw new Error(`docker backend: ${dockerUnavailable(this.where, err).message}`);
    }
    try {
      await this.open();
    } catch (err) {
      throw new Error(`docker backend: ${(err as Error).message}`);
    }
  }

  /** Live instances, for diagnostics and tests. */
  get liveInstances(): readonly DockerInstance[] {
    return [...this.instances].filter((i) => i.alive);
  }

  async start(opts: StartOptions): Promise<Instance> {
    const { runtime, protocol, spec, codeDir } = opts;
    if (!supportsProtocol(runtime, protocol)) throw new BackendUnavailableError(`runtime ${runtime} does not support the ${protocol} protocol`);
    if (spec && !codeDir) throw new Error("start(): a spec needs its codeDir");
    if (!spec && protocol !== "fast") throw new Error("start(): stems (no spec) exist only for the fast protocol");
    if (runtimeFamily(runtime) === "provided") checkBootstrap(join(codeDir!, "bootstrap"));
    const prepared = await this.open();
    const availability = await this.availability(runtime);
    if (!availability.available) throw new BackendUnavailableError(availability.reason!, unavailableCode(availability));

    const memorySize = spec?.memorySize ?? opts.memorySize;
    const id = `ctr-${randomBytes(6).toString("hex")}`;
    const stemToken = spec ? undefined : randomBytes(16).toString("hex");
    const codeSource = spec ? await prepared.volume.versionSource(spec, codeDir!) : prepared.volume.stemSource(stemToken!);
    const layers = spec && opts.layersDir !== undefined ? await this.layerMounts(prepared.volume, opts.layersDir) : undefined;

    const expected = protocol === "fast" ? prepared.listener.expect() : undefined;
    let server: RuntimeApiServer | undefined;
    // On a shared network, only this instance's container may use its Runtime API (the fast
    // channel has its token instead); with host networking every peer is 127.0.0.1.
    const peers = !expected && prepared.isolation.network !== "host" ? peerList() : undefined;
    const channel: Record<string, string> = {};
    if (expected) {
      channel.HOTSWAP_CHANNEL_TCP = prepared.listener.address;
      channel.HOTSWAP_CHANNEL_TOKEN = expected.token;
      // A Node stem warms its runtime up (loaders, invoke path, common modules) before it says hello;
      // its bootstrap removes the variable, so the function never sees it.
      if (!spec && runtimeFamily(runtime) === "node") channel.HOTSWAP_STEM = "1";
    } else {
      server = await RuntimeApiServer.start({
        host: prepared.listenHost,
        advertiseHost: prepared.advertiseHost,
        functionName: spec!.functionName,
        allowedPeers: peers?.promise,
      });
      channel.AWS_LAMBDA_RUNTIME_API = server.address;
    }
    const release = () => {
      expected?.cancel();
      void server?.close();
    };

    let container: Docker.Container;
    try {
      container = await this.docker.createContainer(
        instanceContainer({
          runnerId: this.opts.runnerId,
          instanceId: id,
          name: `hotswap-${nameSlug(this.opts.runnerId)}-${id}`,
          image: this.images[runtime],
          runtime,
          memorySize,
          spec,
          codeSource,
          layers,
          channel,
          isolation: prepared.isolation,
          initializationType: opts.initializationType,
        }),
      );
    } catch (err) {
      release();
      if (statusOf(err) === 404) throw new BackendUnavailableError(this.missingImage(runtime));
      rethrowDocker(this.where, err);
    }

    const instance = new DockerInstance({
      id,
      runtime,
      protocol,
      memorySize,
      spec: protocol === "fast" ? undefined : spec,
      docker: this.docker,
      container,
      logOutput: this.opts.logOutput,
      initTimeoutMs: this.opts.initTimeoutMs ?? 10_000,
      defaultStopGraceMs: this.opts.stopGraceMs ?? 2000,
      runtimeDir: runtimeDirFor(runtime),
      stageStem: stemToken ? (s, dir) => prepared.volume.fillStem(stemToken, s, dir) : undefined,
      onGone: (i) => this.onGone(i, release, stemToken ? () => prepared.volume.removeStem(stemToken) : undefined),
    });
    if (server) instance.attach(server);
    this.instances.add(instance);
    try {
      await instance.begin();
      if (peers) peers.resolve(await containerAddresses(container, prepared.isolation.network));
    } catch (err) {
      peers?.reject(err as Error);
      instance.kill("killed");
      await instance.exited;
      if (isUnreachable(err)) throw dockerUnavailable(this.where, err);
      throw new InitError(`Docker could not start the container for ${runtime}: ${(err as Error).message}`, "Runtime.ExitError");
    }
    if (this.closed) {
      // close() ran while this instance was starting: it must not outlive the backend.
      instance.kill("killed");
      await instance.exited;
      throw new BackendUnavailableError("the docker backend is closed", "ServiceUnavailable");
    }

    if (server) {
      await instance.untilReady(server.ready, "waiting for the first /next");
      return instance;
    }
    const connected = expected!.connected.then((socket) => {
      const fast = new FastChannel(socket, { closedResult: () => instance.deathResult() });
      instance.attach(fast, fast);
      socket.resume();
      return fast.hello;
    });
    await instance.untilReady(connected, "waiting for the bootstrap to connect and say hello");
    if (spec) await instance.specialise(spec, codeDir!, { initializationType: opts.initializationType });
    return instance;
  }

  /** The merged layer tree uploaded to the code volume (once per tree), with its top-level entries to bind under /opt. */
  private async layerMounts(volume: CodeVolume, layersDir: string): Promise<{ source: string; entries: string[] }> {
    const source = await volume.treeSource(basename(layersDir), layersDir);
    const entries = (await readdir(layersDir)).sort();
    return { source, entries };
  }

  async close(): Promise<void> {
    if (this.closed && !this.prepared) return;
    this.closed = true;
    const all = [...this.instances];
    for (const i of all) i.kill("killed");
    await Promise.all(all.map((i) => i.exited));
    await Promise.allSettled([...this.removals]);
    const prepared = await this.prepared?.catch(() => undefined);
    this.prepared = undefined;
    if (!prepared) return;
    await prepared.listener.close();
    // Anything this runner id still owns (a container whose removal failed) goes too.
    await this.removeOwned().catch(() => {});
    await prepared.volume.close();
  }

  private async prepare(): Promise<Prepared> {
    try {
      await this.ping(5000);
    } catch (err) {
      throw dockerUnavailable(this.where, err);
    }
    try {
      await this.removeOwned();
      await this.docker.getVolume(codeVolumeName(this.opts.runnerId)).remove().catch(() => {});
      const { isolation, advertiseHost, listenHost } = await resolveNetworking(this.docker, this.opts);
      const loaderImage = await this.findLoaderImage();
      const volume = await CodeVolume.open({ docker: this.docker, runnerId: this.opts.runnerId, loaderImage, where: this.where });
      let listener: ChannelListener;
      try {
        listener = await ChannelListener.start({ host: listenHost, advertiseHost });
      } catch (err) {
        await volume.close();
        throw new Error(`cannot listen on ${listenHost} for containers (${(err as Error).message}); set RUNNER_RUNTIME_API_BIND to an address of this host that containers can reach`);
      }
      return { listener, volume, isolation, advertiseHost, listenHost };
    } catch (err) {
      rethrowDocker(this.where, err);
    }
  }

  /** GET /_ping, bounded: a TCP daemon that does not answer must not hang the caller. */
  private ping(timeoutMs: number): Promise<unknown> {
    const ping = this.docker.ping.bind(this.docker) as unknown as (opts: { abortSignal: AbortSignal }) => Promise<unknown>;
    return ping({ abortSignal: AbortSignal.timeout(timeoutMs) });
  }

  /** Remove every container labelled with this runner id but not a live instance (a predecessor's orphans, or leftovers at close). */
  private async removeOwned(): Promise<number> {
    const list = await this.docker.listContainers({
      all: true,
      filters: { label: [`${LABEL.managed}=true`, `${LABEL.runner}=${this.opts.runnerId}`] },
    });
    const mine = new Set([...this.instances].map((i) => i.container.id));
    const orphans = list.filter((c) => !mine.has(c.Id));
    await Promise.all(orphans.map((c) => this.docker.getContainer(c.Id).remove({ force: true }).catch(() => {})));
    return orphans.length;
  }

  private async findLoaderImage(): Promise<string> {
    const candidates = this.opts.loaderImage ? [this.opts.loaderImage] : [this.images.nodejs20, this.images.nodejs22];
    for (const image of candidates) {
      try {
        await this.docker.getImage(image).inspect();
        return image;
      } catch (err) {
        if (statusOf(err) !== 404) throw err;
      }
    }
    throw new BackendUnavailableError(`the docker backend needs ${candidates.join(" or ")} for its code loader; build the runtime images with: npm run images -- --offline`);
  }

  private async availability(id: RuntimeId): Promise<RuntimeAvailability> {
    const known = this.foundImages.get(id);
    if (known) return known;
    const image = this.images[id];
    try {
      const info = await this.docker.getImage(image).inspect();
      const found: RuntimeAvailability = { id, available: true, using: `${image} (${info.Id.slice(7, 19)})` };
      this.foundImages.set(id, found);
      return found;
    } catch (err) {
      if (statusOf(err) === 404) return { id, available: false, reason: this.missingImage(id) };
      return { id, available: false, reason: dockerUnavailable(this.where, err).message };
    }
  }

  private missingImage(id: RuntimeId): string {
    return `the image ${this.images[id]} is not on the Docker host; build the runtime images with: npm run images (npm run images -- --offline without a registry)`;
  }

  private onGone(instance: DockerInstance, release: () => void, removeStem?: () => Promise<void>): void {
    release();
    const removal = instance.container
      .remove({ force: true })
      .catch(() => {})
      .then(() => removeStem?.())
      .catch(() => {})
      .finally(() => {
        this.instances.delete(instance);
        this.removals.delete(removal);
      });
    this.removals.add(removal);
  }
}

function unavailableCode(a: RuntimeAvailability): "RuntimeUnavailable" | "ServiceUnavailable" {
  return a.reason?.startsWith("Docker is unreachable") ? "ServiceUnavailable" : "RuntimeUnavailable";
}
