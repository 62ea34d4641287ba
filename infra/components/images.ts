/**
 * PlatformImages builds the control-plane and runner images (infra/docker/*.Dockerfile) and the
 * function runtime images (runtimes/{node,python,provided}/Dockerfile) with the Docker Build
 * provider (@pulumi/docker-build), which the @pulumi/docker docs recommend over docker.Image.
 * Images are loaded into the local engine (docker target) and/or pushed to a registry.
 */
import * as pulumi from "@pulumi/pulumi";
import * as dockerBuild from "@pulumi/docker-build";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { RUNTIME_IDS, type RuntimeId } from "../../protocol/runtimes.ts";
import { RUNTIME_IMAGES } from "../../scripts/images/runtimes.ts";
import { BASE_REFS } from "../../scripts/images/base-images.ts";

/** The repository root: the control-plane and runner build context. */
export const REPO_ROOT = resolve(fileURLToPath(new URL("../../", import.meta.url)));

/**
 * Base image of each runtime image, from the registry or built locally by `npm run images -- --offline`.
 * The same table `npm run images` builds from (scripts/images), so both always agree.
 */
export const RUNTIME_BASES = Object.fromEntries(
  RUNTIME_IMAGES.map((r) => [r.id, { dir: r.dir, official: r.officialBase, offline: BASE_REFS[r.offlineBase] }]),
) as Record<RuntimeId, { dir: string; official: string; offline: string }>;
export const NODE_BASE = { official: "node:20-bookworm-slim", offline: BASE_REFS.node20 };

export interface BuiltImage {
  /** Reference to deploy: `tag@digest` once pushed, else the tag. */
  ref: pulumi.Output<string>;
  /** Content digest; changes whenever the image does. */
  digest: pulumi.Output<string>;
  /** The tag the image was given. */
  tag: pulumi.Output<string>;
}

export interface PlatformImagesArgs {
  /**
   * Tag of every image.
   * @default the version in package.json
   * @example "0.1.0"
   */
  version: string;
  /**
   * Registry host (and optional path) images are tagged for. Images are named `<registry>/hotswap/<image>:<version>`;
   * without a registry they are `hotswap/<image>:<version>`.
   * @example "ghcr.io/acme"
   * @default undefined (local images only)
   */
  registry?: pulumi.Input<string>;
  /**
   * Push to `registry` (or `repositories`). Kubernetes clusters pull from it; the docker target needs no push.
   * @default true when `registry` or `repositories` is set
   * @example false
   */
  push?: boolean;
  /**
   * Load the images into the local Docker engine (the docker target runs them from there).
   * @default false
   * @example true
   */
  load?: boolean;
  /**
   * Base images: the official ones from Docker Hub, or the local `hotswap/base-*` images that
   * `npm run images -- --offline` builds (no registry needed).
   * @default "official"
   * @example "offline"
   */
  bases?: "official" | "offline";
  /**
   * Build the function runtime images (`hotswap/runtime-<id>:<version>`) as well.
   * @default true
   * @example false
   */
  runtimes?: boolean;
  /**
   * Use this control-plane image instead of building one.
   * @example "ghcr.io/acme/hotswap/control-plane:0.1.0"
   * @default undefined (built from infra/docker/control-plane.Dockerfile)
   */
  controlPlaneImage?: string;
  /**
   * Use this runner image instead of building one.
   * @example "ghcr.io/acme/hotswap/runner:0.1.0"
   * @default undefined (built from infra/docker/runner.Dockerfile)
   */
  runnerImage?: string;
  /**
   * Repository per image name (`control-plane`, `runner`, `runtime-nodejs20`, ...), e.g. ECR repository URLs.
   * Images listed here are tagged `<repository>:<version>` instead of using `registry`.
   * @default {}
   * @example { "control-plane": repo.repositoryUrl }
   */
  repositories?: Record<string, pulumi.Input<string>>;
  /**
   * Credentials for `registry` (e.g. from `aws.ecr.getAuthorizationTokenOutput`). Kept in memory only.
   * @default undefined (the Docker CLI's credentials)
   * @example { address: "ghcr.io", username: "bot", password: config.requireSecret("ghcrToken") }
   */
  registryAuth?: { address: pulumi.Input<string>; username: pulumi.Input<string>; password: pulumi.Input<string> };
  /**
   * Build context of the control-plane and runner images.
   * @default the repository root
   * @example "/src/hotswap"
   */
  context?: string;
}

export class PlatformImages extends pulumi.ComponentResource {
  readonly controlPlane: BuiltImage;
  readonly runner: BuiltImage;
  /** Runtime image per runtime id (empty when `runtimes` is false). */
  readonly runtimes: Partial<Record<RuntimeId, BuiltImage>>;

  constructor(name: string, args: PlatformImagesArgs, opts?: pulumi.ComponentResourceOptions) {
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(args.version ?? "")) {
      throw new pulumi.RunError(`PlatformImages "${name}": version must be a valid image tag (letters, digits, '_', '.', '-'), got "${args.version}"`);
    }
    const hasRegistry = args.registry !== undefined || Object.keys(args.repositories ?? {}).length > 0;
    if (args.push === true && !hasRegistry) {
      throw new pulumi.RunError(`PlatformImages "${name}": push needs a registry to push to`);
    }
    super("hotswap:index:PlatformImages", name, {}, opts);
    const { version, registry, repositories = {}, push = hasRegistry, load = false, bases = "official", runtimes = true, context = REPO_ROOT } = args;

    const tagFor = (image: string) =>
      repositories[image] !== undefined
        ? pulumi.interpolate`${repositories[image]}:${version}`
        : registry === undefined ? pulumi.output(`hotswap/${image}:${version}`) : pulumi.interpolate`${registry}/hotswap/${image}:${version}`;
    const build = (image: string, buildArgs: { context: string; dockerfile: string; baseImage: string; network?: "none" }): BuiltImage => {
      const tag = tagFor(image);
      const built = new dockerBuild.Image(
        `${name}-${image}`,
        {
          tags: [tag],
          context: { location: buildArgs.context },
          dockerfile: { location: buildArgs.dockerfile },
          buildArgs: { BASE_IMAGE: buildArgs.baseImage },
          network: buildArgs.network,
          push,
          load,
          registries: args.registryAuth ? [args.registryAuth] : undefined,
        },
        { parent: this },
      );
      // `ref` is empty when nothing was exported; the tag is what the engine knows the image by then.
      return { ref: pulumi.all([built.ref, tag]).apply(([ref, t]) => ref || t), digest: built.digest, tag };
    };
    const prebuilt = (ref: string): BuiltImage => ({ ref: pulumi.output(ref), digest: pulumi.output(ref), tag: pulumi.output(ref) });
    const nodeBase = NODE_BASE[bases];

    // The platform images need no network at build time (see the Dockerfiles), so the build has none.
    this.controlPlane = args.controlPlaneImage
      ? prebuilt(args.controlPlaneImage)
      : build("control-plane", { context, dockerfile: join(context, "infra/docker/control-plane.Dockerfile"), baseImage: nodeBase, network: "none" });
    this.runner = args.runnerImage
      ? prebuilt(args.runnerImage)
      : build("runner", { context, dockerfile: join(context, "infra/docker/runner.Dockerfile"), baseImage: nodeBase, network: "none" });

    this.runtimes = {};
    if (runtimes) {
      for (const id of RUNTIME_IDS) {
        const dir = join(REPO_ROOT, "runtimes", RUNTIME_BASES[id].dir);
        this.runtimes[id] = build(`runtime-${id}`, { context: dir, dockerfile: join(dir, "Dockerfile"), baseImage: RUNTIME_BASES[id][bases] });
      }
    }
    this.registerOutputs({
      controlPlane: this.controlPlane.ref,
      runner: this.runner.ref,
      runtimes: Object.fromEntries(Object.entries(this.runtimes).map(([id, img]) => [id, img!.ref])),
    });
  }
}
