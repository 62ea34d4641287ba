/**
 * Runtime identifiers shared by the control plane and the runner.
 * One list, one name: the API validates against it, the runner picks a bootstrap from it.
 */
import { z } from "zod";

export const RUNTIME_IDS = ["nodejs20", "nodejs22", "python3.11", "python3.12", "java17", "ruby3.1", "provided"] as const;
export const RuntimeId = z.enum(RUNTIME_IDS);
export type RuntimeId = z.infer<typeof RuntimeId>;

export type RuntimeFamily = "node" | "python" | "java" | "ruby" | "provided";

export function runtimeFamily(id: RuntimeId): RuntimeFamily {
  if (id.startsWith("nodejs")) return "node";
  if (id.startsWith("python")) return "python";
  if (id.startsWith("ruby")) return "ruby";
  if (id.startsWith("java")) return "java";
  return "provided";
}

/** Major/minor language version of a runtime id, e.g. "20" for nodejs20, "3.12" for python3.12, "3.1" for ruby3.1. */
export function runtimeLanguageVersion(id: RuntimeId): string | undefined {
  if (id.startsWith("nodejs")) return id.slice("nodejs".length);
  if (id.startsWith("python")) return id.slice("python".length);
  if (id.startsWith("ruby")) return id.slice("ruby".length);
  if (id.startsWith("java")) return id.slice("java".length);
  return undefined;
}

/**
 * The runtime id another tool's name means: Lambda's (`nodejs20.x`, `python3.12`, `provided.al2023`)
 * and the seeds' (`Node20`, `Python311`, `Ruby31`, `Provided`), any case; undefined when it names none of ours.
 */
export function canonicalRuntime(name: string): RuntimeId | undefined {
  const n = name.trim().toLowerCase();
  let id: string = n;
  let m: RegExpExecArray | null;
  if ((m = /^node(?:js)?-?(\d+)(?:\.x)?$/.exec(n))) id = `nodejs${m[1]}`;
  else if ((m = /^python-?(\d)\.?(\d+)$/.exec(n))) id = `python${m[1]}.${m[2]}`;
  else if ((m = /^ruby-?(\d)\.?(\d+)$/.exec(n))) id = `ruby${m[1]}.${m[2]}`;
  else if ((m = /^java-?(\d+)(?:\.x)?$/.exec(n))) id = `java${m[1]}`;
  else if (/^provided(?:\.al2|\.al2023)?$/.test(n)) id = "provided";
  return (RUNTIME_IDS as readonly string[]).includes(id) ? (id as RuntimeId) : undefined;
}

/** The runtime id closest to a name no runtime has (edit distance on the normalised name), for "did you mean". */
export function nearestRuntime(name: string): RuntimeId {
  const n = name.trim().toLowerCase().replace(/^node(?:js)?-?/, "nodejs").replace(/^python-?(\d)\.?/, "python$1.").replace(/^ruby-?(\d)\.?/, "ruby$1.");
  let best: RuntimeId = RUNTIME_IDS[0];
  let bestDistance = Infinity;
  for (const id of RUNTIME_IDS) {
    const d = editDistance(n, id);
    if (d < bestDistance) [best, bestDistance] = [id, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
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
