/**
 * Helpers for the infra tests: run a program under recording mocks, read stack files, and pull the
 * interesting parts (containers, env, secrets) out of recorded Kubernetes and Docker inputs.
 * Mocks are set before any component module is imported (the awsx convention).
 */
import * as pulumi from "@pulumi/pulumi";
import { RecordingMocks, isSecret, runUnderMocks, unsecret, valueOf, type MockRun, type RecordedResource } from "../../../infra/render/mocks.ts";
import { readStackConfig, stackFilePath } from "../../../infra/render/stack-file.ts";
import { fileURLToPath } from "node:url";

await pulumi.runtime.setMocks(new RecordingMocks(), "hotswap", "test", false);

export { RecordingMocks, isSecret, runUnderMocks, unsecret, valueOf, type MockRun, type RecordedResource };
export const STACK = "test";
export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

export function run<T>(program: () => T, config: Record<string, string> = {}, stack = STACK): Promise<MockRun<T>> {
  return runUnderMocks(program, { stack, config });
}

/** The raw config map of one of the repository's stack files (Pulumi.<stack>.yaml). */
export function stackConfig(stack: string): Record<string, string> {
  return readStackConfig(stackFilePath(REPO_ROOT, stack));
}

type Json = Record<string, any>;

/** Kubernetes objects of one kind, unwrapped, keyed by metadata.name. */
export function k8sObjects(mocks: RecordingMocks, kind: string): Map<string, Json> {
  const out = new Map<string, Json>();
  for (const r of mocks.resources) {
    if (!r.type.startsWith("kubernetes:") || !r.type.endsWith(`:${kind}`)) continue;
    const obj = unsecret<Json>(r.inputs);
    out.set(obj.metadata?.name, obj);
  }
  return out;
}

/** One Kubernetes object by kind and name (throws when absent). */
export function k8sObject(mocks: RecordingMocks, kind: string, name: string): Json {
  const obj = k8sObjects(mocks, kind).get(name);
  if (!obj) throw new Error(`no ${kind} named "${name}"; have: ${[...k8sObjects(mocks, kind).keys()].join(", ")}`);
  return obj;
}

/** The raw (still secret-wrapped) recorded inputs of a Kubernetes object. */
export function k8sRaw(mocks: RecordingMocks, kind: string, name: string): RecordedResource {
  const found = mocks.resources.find((r) => r.type.startsWith("kubernetes:") && r.type.endsWith(`:${kind}`) && unsecret<Json>(r.inputs).metadata?.name === name);
  if (!found) throw new Error(`no ${kind} named "${name}"`);
  return found;
}

/** The pod template's containers of a Deployment or StatefulSet. */
export function podSpec(workload: Json): Json {
  return workload.spec.template.spec;
}

export function container(workload: Json, name: string): Json {
  const c = podSpec(workload).containers.find((x: Json) => x.name === name);
  if (!c) throw new Error(`no container "${name}" in ${workload.metadata.name}`);
  return c;
}

/** Container env as name → literal value, or `secret:<secret>/<key>` for secretKeyRef entries. */
export function envOf(c: Json): Record<string, string> {
  return Object.fromEntries(
    (c.env ?? []).map((e: Json) => [e.name, e.valueFrom?.secretKeyRef ? `secret:${e.valueFrom.secretKeyRef.name}/${e.valueFrom.secretKeyRef.key}` : e.value]),
  );
}

/** Docker containers, unwrapped, keyed by container name. */
export function dockerContainers(mocks: RecordingMocks): Map<string, Json> {
  return new Map(mocks.ofType("docker:index/container:Container").map((r) => [unsecret<Json>(r.inputs).name, unsecret<Json>(r.inputs)]));
}

export function dockerContainerRaw(mocks: RecordingMocks, name: string): RecordedResource {
  const found = mocks.ofType("docker:index/container:Container").find((r) => unsecret<Json>(r.inputs).name === name);
  if (!found) throw new Error(`no container "${name}"`);
  return found;
}

/** `envs: ["K=V"]` as a map. */
export function dockerEnv(c: Json): Record<string, string> {
  return Object.fromEntries((c.envs ?? []).map((e: string) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
}
