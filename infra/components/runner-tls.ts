/**
 * Runner TLS in the Pulumi programs: runners serve HTTPS to the control planes with their own
 * certificate, and the control planes trust the CA that signed it. This module owns the args shape
 * (PEM texts, or on Kubernetes an existing Secret such as cert-manager makes), where the files are
 * mounted, and the workload pieces each side gets: the runner's cert/key files with
 * HOTSWAP_RUNNER_TLS_CERT/KEY, and the control plane's CA file with HOTSWAP_RUNNER_TLS_CA.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { WorkloadHost, WorkloadSpec } from "../targets/workload.ts";
import type { ArgsCheck } from "./validate.ts";

/** Where the runner's certificate and key are mounted in runner containers. */
export const RUNNER_TLS_MOUNT_PATH = "/etc/hotswap/runner-tls";
/** Where the CA that signed the runners' certificates is mounted in control-plane containers. */
export const RUNNER_CA_MOUNT_PATH = "/etc/hotswap/runner-ca";

/**
 * The runners' serving certificate and the CA the control planes check it with. Either the PEM
 * texts (both targets: a Kubernetes Secret, or files uploaded into the Docker containers), or on
 * Kubernetes an existing Secret holding `tls.crt`, `tls.key` and `ca.crt` (cert-manager's layout).
 * The certificate must be valid for the address each runner advertises (its pod or container IP),
 * or for `serverName`, which the control planes then check it against instead (a cluster-internal
 * DNS name, as cert-manager issues).
 */
export type RunnerTlsArgs = (
  | {
      /** PEM certificate (chain) the runners serve. */
      cert: pulumi.Input<string>;
      /** Its PEM private key: pass a secret (`config.requireSecret`). */
      key: pulumi.Input<string>;
      /** PEM certificate of the CA that signed `cert`, trusted by the control planes. */
      ca: pulumi.Input<string>;
    }
  | {
      /** Kubernetes: an existing Secret with `tls.crt`, `tls.key` and `ca.crt`. */
      secretName: pulumi.Input<string>;
    }
) & {
  /** The DNS name in the runners' certificate, checked by the control planes (HOTSWAP_RUNNER_TLS_SERVERNAME). */
  serverName?: string;
};

/** What HOTSWAP_RUNNER_TLS_SERVERNAME accepts. */
export const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/** Checks `tls` (args key `field`) for `host`: exact messages for a half-given PEM set or a Secret on docker. */
export function checkRunnerTls(check: ArgsCheck, field: string, tls: RunnerTlsArgs | undefined, host: WorkloadHost | undefined): void {
  if (tls === undefined) return;
  if (tls.serverName !== undefined && !DNS_NAME.test(tls.serverName)) check.fail(`${field}.serverName must be a DNS name, e.g. runner.hotswap.internal (got ${JSON.stringify(tls.serverName)})`);
  if ("secretName" in tls) {
    if (host?.kind !== "kubernetes") check.fail(`${field}.secretName (a Kubernetes Secret) is available on the kubernetes target only; on docker give ${field}.cert, ${field}.key and ${field}.ca`);
    return;
  }
  const missing = (["cert", "key", "ca"] as const).filter((k) => !tls[k]);
  if (missing.length > 0) check.fail(`${field} needs cert, key and ca together (missing: ${missing.join(", ")}), or secretName on kubernetes`);
}

/** What a runner workload adds for `tls`: its cert and key mounted, and the variables the runner reads. */
export function runnerTlsSpec(tls: RunnerTlsArgs): Pick<WorkloadSpec, "files" | "secretMounts"> & { env: Record<string, string> } {
  const env = { HOTSWAP_RUNNER_TLS_CERT: `${RUNNER_TLS_MOUNT_PATH}/tls.crt`, HOTSWAP_RUNNER_TLS_KEY: `${RUNNER_TLS_MOUNT_PATH}/tls.key` };
  if ("secretName" in tls) return { env, secretMounts: [{ name: "runner-tls", secretName: tls.secretName, mountPath: RUNNER_TLS_MOUNT_PATH, keys: ["tls.crt", "tls.key"] }] };
  return { env, files: [{ name: "runner-tls", mountPath: RUNNER_TLS_MOUNT_PATH, files: { "tls.crt": tls.cert, "tls.key": tls.key }, secret: true }] };
}

/**
 * What a control-plane workload adds for `tls`: only the CA (never the runners' key) and
 * HOTSWAP_RUNNER_TLS_CA, plus HOTSWAP_RUNNER_TLS_SERVERNAME with `serverName`.
 */
export function runnerCaSpec(tls: RunnerTlsArgs): Pick<WorkloadSpec, "files" | "secretMounts"> & { env: Record<string, string> } {
  const env: Record<string, string> = { HOTSWAP_RUNNER_TLS_CA: `${RUNNER_CA_MOUNT_PATH}/ca.crt` };
  if (tls.serverName !== undefined) env.HOTSWAP_RUNNER_TLS_SERVERNAME = tls.serverName;
  if ("secretName" in tls) return { env, secretMounts: [{ name: "runner-ca", secretName: tls.secretName, mountPath: RUNNER_CA_MOUNT_PATH, keys: ["ca.crt"] }] };
  return { env, files: [{ name: "runner-ca", mountPath: RUNNER_CA_MOUNT_PATH, files: { "ca.crt": tls.ca } }] };
}
