/**
 * Pieces shared by the Function and Alias dynamic providers: unknown-value detection, the
 * connection inputs and their checks, order-insensitive comparison, and progress logging.
 *
 * Serializable by Pulumi's closure serializer: plain functions and constants; modules are imported
 * inside the functions that need them.
 */
import type { Connection } from "./connection.ts";

/** Pulumi's marker for a value that is not known yet (during preview), as the provider host sends it. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export interface CheckFailure {
  property: string;
  reason: string;
}

/** Inputs every HotSwap resource carries. */
export interface ConnectionInputs {
  endpoint: string;
  /** The Bearer credential: an API key or a JWT (a Provider's `apiKey` or `token`). */
  apiKey: string;
  /** The resource's own URN, computed by the program, so progress logs can name the resource. */
  resourceUrn?: string;
}

/** True when a value, or anything inside it, is still unknown. */
export function isUnknown(value: unknown): boolean {
  if (value === UNKNOWN) return true;
  if (Array.isArray(value)) return value.some((v) => isUnknown(v));
  if (value && typeof value === "object") return Object.values(value).some((v) => isUnknown(v));
  return false;
}

export function connectionOf(inputs: ConnectionInputs): Connection {
  return { endpoint: inputs.endpoint, apiKey: inputs.apiKey };
}

const API_KEY = /^hs_[a-z0-9]{4,32}_[A-Za-z0-9]{32,}$/;
/** A compact JWS: what a Provider's `token` carries in the `apiKey` input. */
const JWT = /^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** Checks `endpoint` and `apiKey` (an API key or a JWT). Never quotes the credential: it is a secret. */
export function checkConnection(inputs: Partial<ConnectionInputs>, failures: CheckFailure[]): void {
  const { endpoint, apiKey } = inputs;
  if (!isUnknown(endpoint)) {
    let ok = false;
    if (typeof endpoint === "string") {
      try {
        const url = new URL(endpoint);
        ok = (url.protocol === "http:" || url.protocol === "https:") && url.search === "" && url.hash === "";
      } catch {
        ok = false;
      }
    }
    if (!ok) {
      failures.push({
        property: "endpoint",
        reason: `endpoint must be the control plane's base URL, like "https://hotswap.example.com" or "http://127.0.0.1:8080" (got ${JSON.stringify(endpoint ?? null)}). Set it on a hotswap.Provider or with \`pulumi config set hotswap:endpoint <url>\`.`,
      });
    }
  }
  if (!isUnknown(apiKey) && (typeof apiKey !== "string" || !(API_KEY.test(apiKey) || JWT.test(apiKey)))) {
    failures.push({
      property: "apiKey",
      reason:
        "apiKey must be a HotSwap API key of the form hs_<id>_<secret> (id: 4-32 of [a-z0-9], secret: 32+ letters and digits), or a token a JWT (header.payload.signature). Set it on a hotswap.Provider (apiKey or token) or with `pulumi config set --secret hotswap:apiKey <key>`.",
    });
  }
}

/** JSON with object keys sorted, so that key order never counts as a change. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v)).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.keys(value)
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}

export function sameValue(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

/**
 * Reports progress through Pulumi's log with the resource attached (by its URN). Inside Pulumi's
 * dynamic-provider host the SDK has no engine connection, so `pulumi.log` prints the line to the
 * provider's output, which the CLI passes through (pulumi/pulumi#18249).
 */
export async function report(inputs: ConnectionInputs, message: string, severity: "info" | "warn" = "info"): Promise<void> {
  let pulumi: typeof import("@pulumi/pulumi") | undefined;
  try {
    pulumi = await import("@pulumi/pulumi");
  } catch {
    pulumi = undefined;
  }
  if (!pulumi) {
    console.log(`${severity}: ${message}`);
    return;
  }
  const urn = inputs.resourceUrn;
  const resource = typeof urn === "string" && urn !== "" ? ({ urn: pulumi.output(urn) } as unknown as import("@pulumi/pulumi").Resource) : undefined;
  await pulumi.log[severity](message, resource);
}
