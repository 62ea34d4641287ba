/**
 * The dynamic provider behind `hotswap.Alias`. Without `rollout`, changes are direct alias updates.
 * With `rollout`, a new version goes out through the rollouts API and `update` waits for the end:
 * a rollback or failure rejects the update with the platform's reason, so Pulumi keeps the old
 * version in its state and the next `pulumi up` tries again. A `protected` alias changes version
 * only through a deployment (Direct when no `rollout` is set) that another principal approves:
 * `update` waits in PendingApproval and says who must approve and how.
 *
 * Serialized into the stack and run by Pulumi's dynamic-provider host: see function-provider.ts
 * for the rules this file follows.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { AliasView } from "../../protocol/api/aliases.ts";
import { apiError, apiOf, type Connection } from "./connection.ts";
import { aliasArn, aliasChanges, APPROVED_DIRECT, checkAliasInputs, type AliasInputs, type AliasOutputs } from "./alias-inputs.ts";
import { functionArn } from "./function-inputs.ts";
import { runRollout } from "./rollout.ts";
import { connectionOf, report, sameValue } from "./provider-common.ts";

function label(inputs: AliasInputs): string {
  return `hotswap.Alias "${inputs.functionName}:${inputs.name}"`;
}

function outputsOf(inputs: AliasInputs, deploymentId: string | undefined): AliasOutputs {
  const outs: AliasOutputs = { ...inputs, arn: aliasArn(functionArn(inputs.functionName), inputs.name) };
  if (deploymentId !== undefined) outs.deploymentId = deploymentId;
  return outs;
}

function missingAlias(conn: Connection, inputs: AliasInputs): Error {
  return new Error(
    `${label(inputs)} no longer exists on ${conn.endpoint}: it was deleted outside this stack. Run \`pulumi refresh\` so the stack forgets it, then \`pulumi up\` creates it again.`,
  );
}

function lockedError(inputs: AliasInputs, message: string): Error {
  return new Error(`${label(inputs)} is owned by a deployment in progress: ${message} Wait for it to finish or roll it back, then run \`pulumi up\` again.`);
}

/** PUT the alias as `inputs` say; `protect` (when given) sets its protection in the same write. */
async function putDirect(conn: Connection, inputs: AliasInputs, protect?: boolean): Promise<AliasView> {
  const put = await apiOf(conn).aliases.put(inputs.functionName, inputs.name, {
    version: inputs.version,
    routingConfig: { additionalVersionWeights: inputs.weights },
    description: inputs.description,
    ...(protect !== undefined ? { protected: protect } : {}),
  });
  if (!put.ok) {
    if (put.error.code === "AliasLocked") throw lockedError(inputs, put.error.message);
    if (put.error.code === "AliasProtected") {
      throw new Error(`${label(inputs)} is protected: ${put.error.message} In a stack, change only its version (the provider starts that deployment), or set \`protected: false\` first.`);
    }
    throw apiError(`${label(inputs)}: setting version ${inputs.version}${protect !== undefined ? ` and protected: ${protect}` : ""}`, put.error);
  }
  return put.value;
}

export const aliasProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds: Record<string, any>, news: Record<string, any>) {
    return checkAliasInputs(news);
  },

  async diff(_id: string, olds: Record<string, any>, news: Record<string, any>) {
    const c = aliasChanges(olds, news);
    return { changes: c.replace.length + c.live.length + c.stateOnly.length > 0, replaces: c.replace, deleteBeforeReplace: false };
  },

  async create(inputs: AliasInputs) {
    const conn = connectionOf(inputs);
    const existing = await apiOf(conn).aliases.get(inputs.functionName, inputs.name);
    if (existing.ok) {
      throw new Error(
        `${label(inputs)} already exists on ${conn.endpoint} (on version ${existing.value.version}), and this stack did not create it. HotSwap does not adopt aliases: choose another \`name\`, or delete the existing alias first.`,
      );
    }
    await putDirect(conn, inputs, inputs.protected === true ? true : undefined);
    if (inputs.rollout) {
      await report(inputs, `${label(inputs)}: created on version ${inputs.version} directly; rollouts start from the next version, since a new alias has no version to move traffic from.`);
    }
    return { id: `${inputs.functionName}:${inputs.name}`, outs: outputsOf(inputs, undefined) };
  },

  async update(_id: string, olds: AliasOutputs, news: AliasInputs) {
    const conn = connectionOf(news);
    const live = await apiOf(conn).aliases.get(news.functionName, news.name);
    if (!live.ok) throw live.error.status === 404 ? missingAlias(conn, news) : apiError(`Reading ${label(news)}`, live.error);
    let current = live.value;
    // Unset `protected` leaves the alias's protection alone (an operator may have set it by hand).
    const wantProtected = news.protected ?? current.protected ?? false;
    const liveWeights = current.routingConfig?.additionalVersionWeights ?? {};
    const atTarget =
      current.version === news.version && sameValue(liveWeights, news.weights) && current.description === news.description && (current.protected ?? false) === wantProtected;
    // Credentials or rollout settings changed, or the alias already is where the stack wants it.
    if (atTarget) return { outs: outputsOf(news, olds.deploymentId) };
    // Unprotecting comes first, so the traffic change below is a direct one.
    if (current.protected && !wantProtected) {
      current = await putDirect(conn, { ...news, version: current.version, weights: liveWeights }, false);
      await report(news, `${label(news)}: no longer protected.`);
    }
    const rollout = news.rollout ?? (current.protected ? APPROVED_DIRECT : undefined);
    if (rollout && current.version !== news.version) {
      const result = await runRollout(conn, { ...news, rollout }, current.version);
      if (current.description !== news.description || (current.protected ?? false) !== wantProtected) await putDirect(conn, news, wantProtected);
      await report(news, `${label(news)}: now on version ${news.version} (rollout ${result.deploymentId} succeeded).`);
      return { outs: outputsOf(news, result.deploymentId) };
    }
    await putDirect(conn, news, (current.protected ?? false) !== wantProtected ? wantProtected : undefined);
    if (current.version !== news.version) await report(news, `${label(news)}: moved from version ${current.version} to ${news.version} directly.`);
    return { outs: outputsOf(news, olds.deploymentId) };
  },

  async read(id: string, props: AliasOutputs) {
    const conn = connectionOf(props);
    const [fn, name] = props.functionName && props.name ? [props.functionName, props.name] : [id.slice(0, id.indexOf(":")), id.slice(id.indexOf(":") + 1)];
    const live = await apiOf(conn).aliases.get(fn, name);
    if (!live.ok) {
      if (live.error.status === 404) return { id: "", props: {} };
      throw apiError(`Reading alias "${fn}:${name}"`, live.error);
    }
    const a = live.value;
    const outs: AliasOutputs = {
      ...props,
      functionName: fn,
      name,
      version: a.version,
      weights: a.routingConfig?.additionalVersionWeights ?? {},
      description: a.description ?? "",
      ...(a.protected || props.protected !== undefined ? { protected: a.protected ?? false } : {}),
      arn: aliasArn(functionArn(fn), name),
    };
    return { id: `${fn}:${name}`, props: outs };
  },

  async delete(_id: string, props: AliasOutputs) {
    const conn = connectionOf(props);
    const deleted = await apiOf(conn).aliases.delete(props.functionName, props.name);
    if (deleted.ok || deleted.error.status === 404) return; // already gone (or its function is)
    if (deleted.error.code === "AliasLocked") throw lockedError(props, deleted.error.message);
    if (deleted.error.code === "AliasProtected") throw new Error(`${label(props)} is protected and cannot be deleted: set \`protected: false\` (with a key that may approve) and run \`pulumi up\` first.`);
    throw apiError(`Deleting ${label(props)}`, deleted.error);
  },
};
