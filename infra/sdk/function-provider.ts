/**
 * The dynamic provider behind `hotswap.Function`: creates the function, publishes an immutable
 * version for every change of code or configuration, updates the capacity settings
 * (reservedConcurrency, provisionedConcurrency) in place without a version, reads it back for
 * refresh, and deletes it.
 *
 * Pulumi serializes this object into the stack (closure serialization) and runs it in its
 * dynamic-provider host, a separate plain Node.js process. So: no captured non-serializable state,
 * no module-level imports used at run time (the helpers import Node's modules inside themselves),
 * and only JSON-able values in and out.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { PublishedVersion } from "../../protocol/api/versions.ts";
import { apiError, apiOf, type Connection } from "./connection.ts";
import { readCachedCode } from "./code-cache.ts";
import { capacityBody, checkFunctionInputs, configBody, functionArn, functionChanges, type FunctionInputs, type FunctionOutputs } from "./function-inputs.ts";
import { connectionOf, report } from "./provider-common.ts";
import { parseDuration, parseSize } from "./units.ts";

function outputsOf(inputs: FunctionInputs, version: PublishedVersion): FunctionOutputs {
  return { ...inputs, arn: functionArn(inputs.name), latestVersion: version.version, codeSha256: version.codeSha256, codeSize: version.codeSize };
}

function missingFunction(conn: Connection, name: string): Error {
  return new Error(
    `Function "${name}" no longer exists on ${conn.endpoint}: it was deleted outside this stack. Run \`pulumi refresh\` so the stack forgets it, then \`pulumi up\` creates it again.`,
  );
}

/** Publishes the package as the next version and checks the platform hashed the same bytes. */
async function publish(conn: Connection, inputs: FunctionInputs, zip: Uint8Array): Promise<PublishedVersion> {
  const published = await apiOf(conn).versions.publish(inputs.name, zip);
  if (!published.ok) throw apiError(`Publishing a version of function "${inputs.name}"`, published.error);
  if (published.value.codeSha256 !== inputs.codeSha256) {
    throw new Error(`The platform stored version ${published.value.version} of "${inputs.name}" with sha256 ${published.value.codeSha256}, but the package sent has ${inputs.codeSha256}.`);
  }
  return published.value;
}

export const functionProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds: Record<string, any>, news: Record<string, any>) {
    return checkFunctionInputs(news);
  },

  async diff(_id: string, olds: Record<string, any>, news: Record<string, any>) {
    const c = functionChanges(olds, news);
    const changes = c.replace || c.code || c.config.length > 0 || c.capacity.length > 0 || c.stateOnly.length > 0;
    // Renaming creates the new function before deleting the old one: the names differ, so they never clash.
    return { changes, replaces: c.replace ? ["name"] : [], deleteBeforeReplace: false };
  },

  async create(inputs: FunctionInputs) {
    const conn = connectionOf(inputs);
    const zip = await readCachedCode(inputs.codeSha256);
    const created = await apiOf(conn).functions.create({ name: inputs.name, ...configBody(inputs) });
    if (!created.ok) {
      if (created.error.code === "FunctionAlreadyExists") {
        throw new Error(
          `Function "${inputs.name}" already exists on ${conn.endpoint}, and this stack did not create it. HotSwap does not adopt functions: choose another \`name\`, or delete the existing one first (DELETE /api/v1/functions/${inputs.name}).`,
        );
      }
      throw apiError(`Creating function "${inputs.name}"`, created.error);
    }
    let version: PublishedVersion;
    try {
      version = await publish(conn, inputs, zip);
    } catch (e) {
      // create must leave nothing behind when it fails.
      await apiOf(conn).functions.delete(inputs.name);
      throw new Error(`${(e as Error).message} The function was deleted again; fix the problem and run \`pulumi up\`.`);
    }
    return { id: inputs.name, outs: outputsOf(inputs, version) };
  },

  async update(_id: string, olds: FunctionOutputs, news: FunctionInputs) {
    const conn = connectionOf(news);
    const c = functionChanges(olds, news);
    if (c.config.length === 0 && !c.code) {
      if (c.capacity.length > 0) {
        // Capacity settings are the function's, not a version's: update them in place, publish nothing.
        const updated = await apiOf(conn).functions.update(news.name, capacityBody(news));
        if (!updated.ok) throw updated.error.status === 404 ? missingFunction(conn, news.name) : apiError(`Updating function "${news.name}" (${c.capacity.join(", ")})`, updated.error);
        await report(news, `hotswap.Function "${news.name}": updated ${c.capacity.join(", ")}; no new version.`);
      } else {
        // Credentials changed: make sure the function is there, and record them.
        const live = await apiOf(conn).functions.get(news.name);
        if (!live.ok) throw live.error.status === 404 ? missingFunction(conn, news.name) : apiError(`Reading function "${news.name}"`, live.error);
      }
      return { outs: { ...news, arn: functionArn(news.name), latestVersion: olds.latestVersion, codeSha256: olds.codeSha256, codeSize: olds.codeSize } };
    }
    // Read the package first, so that nothing changes on the platform when it is missing.
    const zip = await readCachedCode(news.codeSha256);
    const changedSettings = [...c.config, ...c.capacity];
    if (changedSettings.length > 0) {
      const updated = await apiOf(conn).functions.update(news.name, configBody(news));
      if (!updated.ok) throw updated.error.status === 404 ? missingFunction(conn, news.name) : apiError(`Updating function "${news.name}" (${changedSettings.join(", ")})`, updated.error);
    }
    let version: PublishedVersion;
    try {
      version = await publish(conn, news, zip);
    } catch (e) {
      if (changedSettings.length > 0) {
        // Put the configuration back, so the platform matches the state Pulumi keeps.
        const restored = await apiOf(conn).functions.update(news.name, configBody(olds));
        const note = restored.ok ? " Its configuration was restored." : ` Restoring its previous configuration failed too: ${restored.error.message}`;
        throw new Error(`${(e as Error).message}${note}`);
      }
      throw e;
    }
    await report(news, `hotswap.Function "${news.name}": published version ${version.version} (${[...(c.code ? ["code"] : []), ...c.config].join(", ")} changed)${c.capacity.length > 0 ? `; updated ${c.capacity.join(", ")}` : ""}.`);
    return { outs: outputsOf(news, version) };
  },

  async read(id: string, props: FunctionOutputs) {
    const conn = connectionOf(props);
    const name = props.name ?? id;
    const live = await apiOf(conn).functions.get(name);
    if (!live.ok) {
      if (live.error.status === 404) return { id: "", props: {} };
      throw apiError(`Reading function "${name}"`, live.error);
    }
    const f = live.value;
    let codeSha256 = props.codeSha256;
    let codeSize = props.codeSize;
    if (f.latestVersion) {
      const v = await apiOf(conn).versions.get(name, f.latestVersion);
      if (v.ok) {
        codeSha256 = v.value.codeSha256;
        codeSize = v.value.codeSize;
      }
    }
    const outs: FunctionOutputs = {
      ...props,
      name,
      runtime: f.runtime,
      handler: f.handler,
      // Keep the readable spelling from the args while it still means the live value.
      memory: parseSize(props.memory) === f.memorySize ? props.memory : `${f.memorySize} MB`,
      memorySize: f.memorySize,
      timeout: parseDuration(props.timeout) === f.timeout * 1000 ? props.timeout : `${f.timeout} seconds`,
      timeoutSeconds: f.timeout,
      environment: f.environment,
      // The API shows "***" per secret: keep the state's values while the names match, else the masks (a diff then re-sends them).
      secrets: sameNames(props.secrets ?? {}, f.secrets) ? (props.secrets ?? {}) : f.secrets,
      description: f.description,
      tags: f.tags,
      protocol: f.protocol,
      instanceConcurrency: f.instanceConcurrency,
      maxInstances: f.maxInstances,
      reservedConcurrency: f.reservedConcurrency ?? undefined,
      provisionedConcurrency: f.provisionedConcurrency,
      layers: f.layers,
      arn: functionArn(name),
      latestVersion: f.latestVersion ?? 0,
      codeSha256,
      codeSize,
    };
    // Unset in the args reads back as unset while the live value is the API's default (no cap, none
    // provisioned); the key is left out, since the provider host cannot send undefined values.
    if (outs.reservedConcurrency == null) delete outs.reservedConcurrency;
    if (f.provisionedConcurrency == null || (f.provisionedConcurrency === 0 && props.provisionedConcurrency === undefined)) delete outs.provisionedConcurrency;
    return { id: name, props: outs };
  },

  async delete(id: string, props: FunctionOutputs) {
    const conn = connectionOf(props);
    const name = props.name ?? id;
    const deleted = await apiOf(conn).functions.delete(name);
    // Already gone is fine: the goal state is reached.
    if (!deleted.ok && deleted.error.status !== 404) throw apiError(`Deleting function "${name}"`, deleted.error);
  },
};

function sameNames(a: Record<string, string>, b: Record<string, string>): boolean {
  const x = Object.keys(a).sort();
  const y = Object.keys(b).sort();
  return x.length === y.length && x.every((k, i) => k === y[i]);
}
