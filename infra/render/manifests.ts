/**
 * Kubernetes manifests from a mocked run: every recorded `kubernetes:*` resource becomes the object
 * the provider would apply (secrets unwrapped, unset fields dropped), ordered so that
 * `kubectl apply -f <dir>` creates dependencies first, and written as YAML.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { unsecret, type RecordedResource } from "./mocks.ts";

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [key: string]: unknown };
  [key: string]: unknown;
}

/** Apply order: namespaces and identities first, workloads after their config, policies last. */
const KIND_ORDER = [
  "Namespace",
  "ServiceAccount",
  "Role",
  "RoleBinding",
  "Secret",
  "ConfigMap",
  "Service",
  "StatefulSet",
  "Deployment",
  "PodDisruptionBudget",
  "HorizontalPodAutoscaler",
  "NetworkPolicy",
];

export function toManifests(resources: RecordedResource[]): Manifest[] {
  const manifests = resources
    .filter((r) => r.type.startsWith("kubernetes:") && r.custom)
    .map((r) => JSON.parse(JSON.stringify(unsecret(r.inputs))) as Manifest)
    .filter((m) => m.apiVersion && m.kind);
  const rank = (m: Manifest) => (KIND_ORDER.indexOf(m.kind) + 1 || KIND_ORDER.length + 1);
  return manifests.sort((a, b) => rank(a) - rank(b) || a.metadata.name.localeCompare(b.metadata.name));
}

export function toYaml(manifest: Manifest): string {
  return stringify(manifest, { lineWidth: 0, aliasDuplicateObjects: false });
}

/** `03-role-prometheus.yaml`: the prefix keeps `kubectl apply -f <dir>` in dependency order. */
export function manifestFileName(manifest: Manifest): string {
  const rank = String(KIND_ORDER.indexOf(manifest.kind) + 1 || 99).padStart(2, "0");
  return `${rank}-${manifest.kind.toLowerCase()}-${manifest.metadata.name}.yaml`;
}

/** Write one file per object, or a single multi-document `hotswap.yaml`. Returns the paths written. */
export function writeManifests(manifests: Manifest[], outDir: string, layout: "files" | "single" = "files"): string[] {
  mkdirSync(outDir, { recursive: true });
  if (layout === "single") {
    const path = join(outDir, "hotswap.yaml");
    writeFileSync(path, manifests.map(toYaml).join("---\n"));
    return [path];
  }
  return manifests.map((m) => {
    const path = join(outDir, manifestFileName(m));
    writeFileSync(path, toYaml(m));
    return path;
  });
}
