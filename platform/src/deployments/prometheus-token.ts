/**
 * The bearer token of `analysis.prometheus`, at rest: sealed with the server's secret box (as API
 * key secrets are) when a deployment is created, stored as `bearerTokenSealed` in the deployment's
 * analysis, shown as "***" in every view, and opened only where the query runs (the driver). The
 * seal is bound to the function's name, so a sealed value copied onto another function's
 * deployment does not open. Rows written before sealing hold the token as `bearerToken` in plain
 * text; they are still read (and shown as "***").
 */
import type { SecretBox } from "../auth/secret-box.ts";
import type { PrometheusAnalysis } from "../../../protocol/api/deployments.ts";

/** analysis.prometheus as stored. */
export type StoredPrometheusAnalysis = Omit<PrometheusAnalysis, "bearerToken"> & { bearerToken?: string; bearerTokenSealed?: string };

/** The seal/open half of the secret box this module needs. */
export type TokenBox = Pick<SecretBox, "encrypt" | "decrypt">;

const context = (functionName: string) => `deployments.analysis.prometheus.bearerToken:${functionName}`;

/** The analysis to store: its Prometheus bearer token (if any) sealed. Other fields as given. */
export function sealAnalysisToken<A extends { prometheus?: PrometheusAnalysis }>(analysis: A, functionName: string, box: TokenBox): A {
  const p = analysis.prometheus;
  if (p?.bearerToken === undefined) return analysis;
  const { bearerToken, ...rest } = p;
  const sealed: StoredPrometheusAnalysis = { ...rest, bearerTokenSealed: box.encrypt(bearerToken, context(functionName)) };
  return { ...analysis, prometheus: sealed };
}

/** The plain token to send, from a stored analysis.prometheus; throws when the sealed token does not open (another server key). */
export function openAnalysisToken(p: StoredPrometheusAnalysis, functionName: string, box: TokenBox | undefined): string | undefined {
  if (p.bearerTokenSealed === undefined) return p.bearerToken;
  if (box === undefined) throw new Error("the Prometheus bearer token is sealed, and this control plane has no secret box to open it");
  return box.decrypt(p.bearerTokenSealed, context(functionName));
}

/** A stored analysis as shown: the token, sealed or not, is "***". */
export function maskAnalysisToken(analysis: Record<string, unknown>): Record<string, unknown> {
  const p = analysis.prometheus as StoredPrometheusAnalysis | undefined;
  if (!p || (p.bearerToken === undefined && p.bearerTokenSealed === undefined)) return analysis;
  const { bearerTokenSealed: _sealed, ...rest } = p;
  return { ...analysis, prometheus: { ...rest, bearerToken: "***" } };
}
