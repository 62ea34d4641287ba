/**
 * Runtime identifiers shared by the control plane and the runner.
 * One list, one name: the API validates against it, the runner picks a bootstrap from it.
 */
import { z } from "zod";

export const RUNTIME_IDS = ["nodejs20", "nodejs22", "python3.11", "python3.12", "provided"] as const;
export const RuntimeId = z.enum(RUNTIME_IDS);
export type RuntimeId = z.infer<typeof RuntimeId>;

export type RuntimeFamily = "node" | "python" | "provided";

export function runtimeFamily(id: RuntimeId): RuntimeFamily {
  if (id.startsWith("nodejs")) return "node";
  if (id.startsWith("python")) return "python";
  return "provided";
}

/** Major/minor language version of a runtime id, e.g. "20" for nodejs20, "3.12" for python3.12. */
export function runtimeLanguageVersion(id: RuntimeId): string | undefined {
  if (id.startsWith("nodejs")) return id.slice("nodejs".length);
  if (id.startsWith("python")) return id.slice("python".length);
  return undefined;
}

/** How the runner talks to an instance. `fast` is HotSwap's framed local channel; `runtime-api` is the AWS Lambda Runtime API. */
export const RuntimeProtocol = z.enum(["fast", "runtime-api"]);
export type RuntimeProtocol = z.infer<typeof RuntimeProtocol>;

/** `provided` only speaks the Lambda Runtime API; HotSwap's own bootstraps default to the fast channel. */
export function defaultProtocol(id: RuntimeId): RuntimeProtocol {
  return id === "provided" ? "runtime-api" : "fast";
}

export function supportsProtocol(id: RuntimeId, protocol: RuntimeProtocol): boolean {
  return id === "provided" ? protocol === "runtime-api" : true;
}
