/**
 * The dynamic provider behind `hotswap.Trigger`: create, update, delete, read (refresh and drift)
 * and diff through the typed API client. The platform validates each config and its precise 400,
 * 404 (no such function), 409 (another trigger owns the route) comes back as the error. `read`
 * compares the live trigger with what the last create or update applied: a trigger changed
 * outside the stack shows as a change, and the next update puts the stack's config back.
 *
 * Serialized into the stack and run by Pulumi's dynamic-provider host: see function-provider.ts
 * for the rules this file follows.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { TriggerView } from "../../protocol/api/triggers.ts";
import { apiError, apiOf, type Connection } from "./connection.ts";
import { connectionOf, sameValue } from "./provider-common.ts";
import { checkTriggerInputs, triggerChanges, type TriggerInputs, type TriggerOutputs } from "./trigger-inputs.ts";

function label(inputs: Pick<TriggerInputs, "type" | "functionName">): string {
  return `hotswap.Trigger (${inputs.type} on "${inputs.functionName}")`;
}

function outputsOf(conn: Connection, inputs: TriggerInputs, view: TriggerView): TriggerOutputs {
  const outs: TriggerOutputs = { ...inputs, triggerId: view.triggerId, appliedConfig: view.config };
  if (view.type === "Http" && typeof view.config.path === "string") outs.url = `${conn.endpoint.replace(/\/+$/, "")}/fn${view.config.path}`;
  return outs;
}

function missingTrigger(conn: Connection, inputs: TriggerInputs, id: string): Error {
  return new Error(`${label(inputs)} ${id} no longer exists on ${conn.endpoint}: it was deleted outside this stack. Run \`pulumi refresh\` so the stack forgets it, then \`pulumi up\` creates it again.`);
}

export const triggerProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds: Record<string, any>, news: Record<string, any>) {
    return checkTriggerInputs(news);
  },

  async diff(_id: string, olds: Record<string, any>, news: Record<string, any>) {
    const c = triggerChanges(olds, news);
    return { changes: c.replace.length + c.live.length + c.stateOnly.length > 0, replaces: c.replace, deleteBeforeReplace: true };
  },

  async create(inputs: TriggerInputs) {
    const conn = connectionOf(inputs);
    const created = await apiOf(conn).triggers.create({ functionName: inputs.functionName, type: inputs.type, qualifier: inputs.qualifier, config: inputs.config, enabled: inputs.enabled });
    if (!created.ok) throw apiError(`Creating ${label(inputs)}`, created.error);
    return { id: created.value.triggerId, outs: outputsOf(conn, inputs, created.value) };
  },

  async update(id: string, olds: TriggerOutputs, news: TriggerInputs) {
    const conn = connectionOf(news);
    const c = triggerChanges(olds, news);
    // Only the connection changed: nothing to send.
    if (c.live.length === 0) return { outs: { ...olds, ...news, triggerId: id, appliedConfig: olds.appliedConfig, ...(olds.url ? { url: olds.url } : {}) } };
    const updated = await apiOf(conn).triggers.update(id, { qualifier: news.qualifier, config: news.config, enabled: news.enabled });
    if (!updated.ok) throw updated.error.code === "TriggerNotFound" ? missingTrigger(conn, news, id) : apiError(`Updating ${label(news)}`, updated.error);
    return { outs: outputsOf(conn, news, updated.value) };
  },

  async read(id: string, props: TriggerOutputs) {
    const conn = connectionOf(props);
    const live = await apiOf(conn).triggers.get(id);
    if (!live.ok) {
      if (live.error.status === 404) return { id: "", props: {} };
      throw apiError(`Reading trigger ${id}`, live.error);
    }
    const t = live.value;
    // The stack's own config stays as written while the platform still holds what it applied.
    const config = props.appliedConfig !== undefined && sameValue(props.appliedConfig, t.config) ? props.config : t.config;
    const inputs: TriggerInputs = { ...props, functionName: t.functionName, type: t.type as TriggerInputs["type"], qualifier: t.qualifier, config, enabled: t.enabled };
    return { id, props: outputsOf(conn, inputs, t) };
  },

  async delete(id: string, props: TriggerOutputs) {
    const conn = connectionOf(props);
    const deleted = await apiOf(conn).triggers.delete(id);
    if (deleted.ok || deleted.error.status === 404) return; // already gone (or its function is)
    throw apiError(`Deleting ${label(props)}`, deleted.error);
  },
};
