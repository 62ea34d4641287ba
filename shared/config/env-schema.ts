/**
 * Building blocks for the deployables' config modules (platform/src/config.ts, runner/src/config.ts):
 * zod schemas for environment variables, where an empty string means unset, and the S3 rules both share.
 */
import { z } from "zod";

export const emptyToUndefined = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);

export const optionalString = z.preprocess(emptyToUndefined, z.string().optional());

/** A URL whose scheme is one of `protocols` (e.g. ["redis:", "rediss:"]). */
export const urlWithScheme = (protocols: string[]) =>
  z.string().refine((v) => {
    try {
      return protocols.includes(new URL(v).protocol);
    } catch {
      return false;
    }
  }, `must be a URL starting with ${protocols.map((p) => p + "//").join(" or ")}`);

export const optionalUrl = (protocols: string[]) => z.preprocess(emptyToUndefined, urlWithScheme(protocols).optional());

export const intInRange = (def: number, min: number, max: number) =>
  z.preprocess(emptyToUndefined, z.coerce.number().int().min(min).max(max).default(def));

/** True when the variable is set to something other than blanks. */
export const isSet = (env: Record<string, string | undefined>, k: string) => typeof env[k] === "string" && env[k]!.trim() !== "";

/** S3 settings that only make sense together, named in the same words by every deployable. */
export function s3Issues(env: Record<string, string | undefined>): string[] {
  const set = (k: string) => isSet(env, k);
  const issues: string[] = [];
  if (set("S3_ENDPOINT") && !set("S3_BUCKET")) issues.push("S3_BUCKET: is required when S3_ENDPOINT is set");
  if (set("S3_BUCKET") && !set("S3_ENDPOINT")) issues.push("S3_ENDPOINT: is required when S3_BUCKET is set");
  if (set("S3_ACCESS_KEY_ID") !== set("S3_SECRET_ACCESS_KEY")) {
    issues.push(`${set("S3_ACCESS_KEY_ID") ? "S3_SECRET_ACCESS_KEY" : "S3_ACCESS_KEY_ID"}: S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY must be set together`);
  }
  return issues;
}
