/**
 * The Docker target: a `DockerEnvironment` component (one bridge network per stack) and the
 * `DockerHost` that turns workload specs into containers on the user's Docker engine, with named
 * volumes for data, uploaded config files, HEALTHCHECKs, and ports published on loopback only.
 * Data services are never published: only containers on the stack's network reach them.
 */
import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import { toMegabytes, toMillicores } from "../units.ts";
import { LABEL_PREFIX, type DeployedWorkload, type WorkloadHost, type WorkloadSpec } from "./workload.ts";

export interface DockerEnvironmentArgs {
  /**
   * Prefix of every container, volume and network name on the Docker engine, so stacks sharing one
   * engine never collide.
   * @default `hotswap-${pulumi.getStack()}`
   * @example "hotswap-dev"
   */
  namePrefix?: string;
  /**
   * Address published ports bind to. Keep the loopback unless a reverse proxy or firewall fronts the host.
   * @default "127.0.0.1"
   * @example "0.0.0.0"
   */
  bindAddress?: string;
  /**
   * Path of the Docker socket on the host, mounted into runners.
   * @default "/var/run/docker.sock"
   * @example "/run/user/1000/docker.sock"
   */
  socket?: string;
  /**
   * Group id owning the Docker socket on the host; runners (a non-root user) join it.
   * @default "0"
   * @example "998"
   */
  socketGroup?: string;
}

/** The stack's Docker network, and the host that places workloads on it. */
export class DockerEnvironment extends pulumi.ComponentResource {
  readonly host: DockerHost;
  readonly network: docker.Network;

  constructor(name: string, args: DockerEnvironmentArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    const namePrefix = args.namePrefix ?? `hotswap-${pulumi.getStack()}`;
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(namePrefix)) {
      throw new pulumi.RunError(`DockerEnvironment "${name}": namePrefix must be letters, digits, '_', '.', '-', got "${namePrefix}"`);
    }
    if (args.socketGroup !== undefined && !/^\d+$/.test(args.socketGroup)) {
      throw new pulumi.RunError(`DockerEnvironment "${name}": socketGroup must be a numeric group id, got "${args.socketGroup}"`);
    }
    super("hotswap:index:DockerEnvironment", name, {}, opts);
    const { bindAddress = "127.0.0.1", socket = "/var/run/docker.sock", socketGroup = "0" } = args;

    this.network = new docker.Network(
      `${name}-network`,
      { name: namePrefix, driver: "bridge", labels: [{ label: "app.kubernetes.io/part-of", value: "hotswap" }] },
      { parent: this },
    );
    this.host = new DockerHost({ namePrefix, network: this.network, bindAddress, socket, socketGroup });
    this.registerOutputs({ network: this.network.name });
  }
}

export interface DockerHostOptions {
  namePrefix: string;
  network: docker.Network;
  bindAddress: string;
  socket: string;
  socketGroup: string;
}

export class DockerHost implements WorkloadHost {
  readonly kind = "docker" as const;
  readonly namespace = undefined;

  constructor(readonly options: DockerHostOptions) {}

  childOptions(parent: pulumi.Resource, extra: pulumi.CustomResourceOptions = {}): pulumi.CustomResourceOptions {
    return { ...extra, parent };
  }

  replicaHosts(name: string, replicas: number): string[] {
    return replicas === 1 ? [name] : Array.from({ length: replicas }, (_, i) => `${name}-${i}`);
  }

  deploy(parent: pulumi.Resource, prefix: string, spec: WorkloadSpec): DeployedWorkload {
    const { namePrefix, network, bindAddress } = this.options;
    const opts = (extra?: pulumi.CustomResourceOptions) => ({ parent, dependsOn: spec.dependsOn, ...extra });
    const resources: pulumi.Resource[] = [];

    // Built images are already in the engine; third-party ones are pulled once and kept.
    let image: pulumi.Input<string> = spec.image;
    if (spec.imageDigest === undefined) {
      const remote = new docker.RemoteImage(`${prefix}-image`, { name: spec.image, keepLocally: true }, opts());
      resources.push(remote);
      image = remote.imageId;
    }

    const plainEnv = Object.entries(spec.env ?? {}).map(([k, v]) => pulumi.interpolate`${k}=${v}`);
    const secretEntries = Object.entries(spec.secretEnv ?? {});
    const envs = secretEntries.length
      ? pulumi.secret(pulumi.all([...plainEnv, ...secretEntries.map(([k, v]) => pulumi.interpolate`${k}=${v}`)]))
      : pulumi.all(plainEnv);

    const uploads = (spec.files ?? []).flatMap((f) =>
      Object.entries(f.files).map(([file, content]) => ({ file: `${f.mountPath}/${file}`, content: f.secret ? pulumi.secret(content) : content })),
    );
    const labels: Array<{ label: string; value: pulumi.Input<string> }> = [
      { label: "app.kubernetes.io/part-of", value: "hotswap" },
      { label: "app.kubernetes.io/component", value: spec.component },
      { label: `${LABEL_PREFIX}/role`, value: spec.role },
      ...Object.entries(spec.labels ?? {}).map(([label, value]) => ({ label, value })),
    ];
    // Labels force a new container: a rebuilt image (new digest) replaces the container.
    if (spec.imageDigest !== undefined) labels.push({ label: `${LABEL_PREFIX}/image-digest`, value: spec.imageDigest });

    const hosts = this.replicaHosts(spec.name, spec.replicas);
    hosts.forEach((host, i) => {
      const suffix = hosts.length === 1 ? "" : `-${i}`;
      const volumes: docker.types.input.ContainerVolume[] = [];
      if (spec.volume) {
        const volume = new docker.Volume(`${prefix}${suffix}-volume`, { name: `${namePrefix}-${host}-data` }, opts());
        resources.push(volume);
        volumes.push({ volumeName: volume.name, containerPath: spec.volume.mountPath });
      }
      let groupAdds: string[] | undefined;
      if (spec.docker) {
        // The engine bind-mounts function code from this path, so it is a named volume, not the container's layer.
        const work = new docker.Volume(`${prefix}${suffix}-work-volume`, { name: `${namePrefix}-${host}-work` }, opts());
        resources.push(work);
        volumes.push({ volumeName: work.name, containerPath: spec.docker.workDir });
        volumes.push({ hostPath: this.options.socket, containerPath: "/var/run/docker.sock" });
        groupAdds = [spec.docker.socketGroup ?? this.options.socketGroup];
      }
      const container = new docker.Container(
        `${prefix}${suffix}-container`,
        {
          name: `${namePrefix}-${host}`,
          hostname: host,
          image,
          entrypoints: spec.command,
          command: spec.args,
          envs,
          labels,
          networksAdvanced: [{ name: network.name, aliases: hosts.length === 1 ? [host] : [host, spec.name] }],
          ports: (i === 0 ? (spec.publish ?? []) : []).map((p) => ({ internal: p.port, external: p.hostPort, ip: bindAddress })),
          volumes,
          uploads,
          groupAdds,
          user: spec.user ? `${spec.user.uid}:${spec.user.gid}` : undefined,
          memory: spec.resources?.memory ? toMegabytes(spec.resources.memory) : undefined,
          cpus: spec.resources?.cpu ? String(toMillicores(spec.resources.cpu) / 1000) : undefined,
          healthcheck: spec.dockerHealthcheck
            ? { tests: ["CMD-SHELL", spec.dockerHealthcheck], interval: "10s", timeout: "5s", retries: 6, startPeriod: "20s" }
            : undefined,
          // Wait for the HEALTHCHECK (ours are baked into the images) so dependants start after it passes.
          wait: Boolean(spec.dockerHealthcheck || spec.imageDigest !== undefined),
          waitTimeout: 180,
          restart: "unless-stopped",
          mustRun: true,
          stopTimeout: spec.stopGracePeriodSeconds,
          securityOpts: spec.hardened ? ["no-new-privileges:true"] : undefined,
          capabilities: spec.hardened ? { drops: ["ALL"] } : undefined,
        },
        opts({ deleteBeforeReplace: true }),
      );
      resources.push(container);
    });

    const published = spec.publish?.[0];
    const publicHost = published && spec.replicas > 0 ? pulumi.output(`${bindAddress}:${published.hostPort}`) : undefined;
    return { host: hosts.length === 1 ? hosts[0]! : spec.name, replicaHosts: hosts, publicHost, resources };
  }
}
