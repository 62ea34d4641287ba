/**
 * `hotswap.Layer`: a Lambda-style layer version, its files packaged from a directory or a Pulumi
 * archive. Top-level directories land under /opt: `nodejs/node_modules` (on NODE_PATH),
 * `python` (on sys.path), `bin` (on PATH), `lib` (on LD_LIBRARY_PATH). Give its `ref` to a
 * function's `layers`; a change publishes a new version and the old one is deleted after the
 * functions moved on (function versions published with it keep running it).
 *
 * ```ts
 * const deps = new hotswap.Layer("deps", { code: "./layers/deps", compatibleRuntimes: ["nodejs20"] });
 * new hotswap.Function("api", { runtime: "nodejs20", handler: "index.handler", code: "./functions/api", layers: [deps.ref] });
 * ```
 */
import * as pulumi from "@pulumi/pulumi";
import { checkCodeArg, packagedCode, type CodeSource } from "./code-package.ts";
import { layerProvider } from "./layer-provider.ts";
import type { Runtime } from "./function-inputs.ts";
import { splitOptions, type ResourceOptions } from "./provider.ts";

export const LAYER_TYPE = "pulumi-nodejs:dynamic/hotswap:Layer";

export interface LayerArgs {
  /**
   * The layer's name on the platform (`^[a-zA-Z0-9-_]{1,64}$`).
   * @default the resource name
   */
  name?: pulumi.Input<string>;
  /**
   * The files: a directory, a `.zip` file, a `pulumi.asset.FileArchive` or an `AssetArchive`,
   * zipped deterministically (unchanged files publish no new version). A top-level `hotswap/` is refused.
   * @example "./layers/deps"
   */
  code: pulumi.Input<CodeSource>;
  /**
   * Runtimes the layer works with; a function of another runtime may not use it.
   * @default [] (any runtime)
   * @example ["nodejs20", "nodejs22"]
   */
  compatibleRuntimes?: pulumi.Input<pulumi.Input<Runtime>[]>;
  /** @default "" */
  description?: pulumi.Input<string>;
}

export class Layer extends pulumi.dynamic.Resource {
  declare readonly layerName: pulumi.Output<string>;
  /** The version number the platform gave this layer version. */
  declare readonly version: pulumi.Output<number>;
  /** "name:N": what a function's `layers` takes. */
  declare readonly ref: pulumi.Output<string>;
  declare readonly codeSha256: pulumi.Output<string>;
  declare readonly codeSize: pulumi.Output<number>;
  /** Bytes of the extracted files (the layers plus the code may take 250 MB). */
  declare readonly unzippedSize: pulumi.Output<number>;

  constructor(name: string, args: LayerArgs, opts?: ResourceOptions) {
    checkCodeArg("hotswap.Layer", name, "layer", args?.code);
    const { connection, pulumiOpts } = splitOptions("hotswap.Layer", name, opts);
    const { pkg, holder } = packagedCode("hotswap.Layer", name, args.code);
    super(
      layerProvider,
      name,
      {
        ...connection,
        resourceUrn: pulumi.createUrn(name, LAYER_TYPE, pulumiOpts.parent),
        layerName: args.name ?? name,
        compatibleRuntimes: args.compatibleRuntimes,
        description: args.description,
        codeSha256: pkg.sha256,
        codeSize: pkg.size,
        version: undefined,
        ref: undefined,
        unzippedSize: undefined,
      },
      pulumiOpts,
      "hotswap",
      "Layer",
    );
    holder.self = this;
  }
}
