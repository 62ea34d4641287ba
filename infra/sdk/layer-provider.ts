/**
 * The dynamic provider behind `hotswap.Layer`: one resource is one immutable layer version. Any
 * change (code, compatibleRuntimes, description, name) replaces it: the new version is published
 * first, functions pointing at `ref` move to it, then the old version is deleted; function
 * versions published with the old one keep running it (Lambda's rule). `read` notices a version
 * deleted outside the stack.
 *
 * Serialized into the stack and run by Pulumi's dynamic-provider host: see function-provider.ts
 * for the rules this file follows.
 */
import type * as pulumi from "@pulumi/pulumi";
import { LAYER_NAME_PATTERN } from "../../protocol/limits.ts";
import { apiError, apiOf } from "./connection.ts";
import { readCachedCode } from "./code-cache.ts";
import { checkConnection, connectionOf, isUnknown, sameValue, type CheckFailure, type ConnectionInputs } from "./provider-common.ts";
import { RUNTIMES } from "./function-inputs.ts";

export interface LayerInputs extends ConnectionInputs {
  layerName: string;
  compatibleRuntimes: string[];
  description: string;
  codeSha256: string;
  codeSize: number;
}

export interface LayerOutputs extends LayerInputs {
  /** The version number the platform gave. */
  version: number;
  /** "name:N": what a function's `layers` takes. */
  ref: string;
  /** Bytes of the extracted files (counts toward a function's 250 MB). */
  unzippedSize: number;
}

/** Inputs whose change publishes a new version (and deletes the old one). */
const REPLACE_KEYS = ["layerName", "compatibleRuntimes", "description", "codeSha256"] as const;

export function checkLayerInputs(news: Record<string, any>): { inputs: LayerInputs; failures: CheckFailure[] } {
  const failures: CheckFailure[] = [];
  const inputs: Record<string, any> = { ...news, compatibleRuntimes: news.compatibleRuntimes ?? [], description: news.description ?? "" };
  checkConnection(inputs, failures);
  const { layerName, compatibleRuntimes, description } = inputs;
  if (!isUnknown(layerName) && (typeof layerName !== "string" || !LAYER_NAME_PATTERN.test(layerName))) {
    failures.push({ property: "name", reason: `name must be 1-64 letters, digits, '-' or '_' (got ${JSON.stringify(layerName ?? null)}). It defaults to the resource name.` });
  }
  if (!isUnknown(compatibleRuntimes)) {
    if (!Array.isArray(compatibleRuntimes)) failures.push({ property: "compatibleRuntimes", reason: "compatibleRuntimes must be a list of runtime ids" });
    else {
      for (const r of compatibleRuntimes) {
        if (!isUnknown(r) && !(RUNTIMES as readonly string[]).includes(r)) {
          failures.push({ property: "compatibleRuntimes", reason: `compatibleRuntimes: "${r}" is not one of ${RUNTIMES.map((x) => `"${x}"`).join(", ")}` });
        }
      }
    }
  }
  if (!isUnknown(description) && (typeof description !== "string" || description.length > 256)) {
    failures.push({ property: "description", reason: "description must be a string of at most 256 characters" });
  }
  return { inputs: inputs as LayerInputs, failures };
}

export const layerProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds: Record<string, any>, news: Record<string, any>) {
    return checkLayerInputs(news);
  },

  async diff(_id: string, olds: Record<string, any>, news: Record<string, any>) {
    const replaces = REPLACE_KEYS.filter((k) => isUnknown(news[k]) || !sameValue(olds[k], news[k]));
    const stateOnly = (["endpoint", "apiKey"] as const).filter((k) => !sameValue(olds[k], news[k]));
    return { changes: replaces.length + stateOnly.length > 0, replaces: [...replaces], deleteBeforeReplace: false };
  },

  async create(inputs: LayerInputs) {
    const conn = connectionOf(inputs);
    const zip = await readCachedCode(inputs.codeSha256);
    const published = await apiOf(conn).layers.publish(inputs.layerName, zip, { compatibleRuntimes: inputs.compatibleRuntimes, description: inputs.description });
    if (!published.ok) throw apiError(`Publishing a version of layer "${inputs.layerName}"`, published.error);
    const v = published.value;
    if (v.codeSha256 !== inputs.codeSha256) {
      throw new Error(`The platform stored layer "${inputs.layerName}" version ${v.version} with sha256 ${v.codeSha256}, but the package sent has ${inputs.codeSha256}.`);
    }
    const outs: LayerOutputs = { ...inputs, version: v.version, ref: `${v.layerName}:${v.version}`, unzippedSize: v.unzippedSize };
    return { id: outs.ref, outs };
  },

  async update(_id: string, olds: LayerOutputs, news: LayerInputs) {
    // Only the connection changed (diff replaces on everything else): record it.
    return { outs: { ...news, version: olds.version, ref: olds.ref, unzippedSize: olds.unzippedSize } };
  },

  async read(id: string, props: LayerOutputs) {
    const conn = connectionOf(props);
    const live = await apiOf(conn).layers.get(props.layerName, props.version);
    if (!live.ok) {
      if (live.error.status === 404) return { id: "", props: {} };
      throw apiError(`Reading layer ${id}`, live.error);
    }
    const v = live.value;
    return { id, props: { ...props, compatibleRuntimes: v.compatibleRuntimes, description: v.description, codeSha256: v.codeSha256, codeSize: v.codeSize, unzippedSize: v.unzippedSize } };
  },

  async delete(_id: string, props: LayerOutputs) {
    const conn = connectionOf(props);
    const deleted = await apiOf(conn).layers.delete(props.layerName, props.version);
    if (!deleted.ok && deleted.error.status !== 404) throw apiError(`Deleting layer version ${props.ref}`, deleted.error);
  },
};
