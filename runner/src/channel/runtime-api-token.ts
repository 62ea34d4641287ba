/**
 * The per-instance secret of a Runtime API: a random 128-bit token carried as the first path
 * segment, so `AWS_LAMBDA_RUNTIME_API=host:port/<token>` works with clients that build
 * `http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/...` (curl, Go, AWS's C++-based RICs) and with
 * ours, which split off the prefix. Compared as fixed-length digests so neither length nor
 * content leaks through timing.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

export function newRuntimeApiToken(): string {
  return randomBytes(16).toString("hex");
}

const digest = (s: string) => createHash("sha256").update(s, "utf8").digest();

/**
 * If `url` starts with `/<token>/`, the rest of it (from that slash on); otherwise undefined.
 * Never throws, whatever the url holds.
 */
export function stripToken(url: string, token: string): string | undefined {
  const end = url.indexOf("/", 1);
  const given = url.startsWith("/") && end > 0 ? url.slice(1, end) : "";
  const matches = timingSafeEqual(digest(given), digest(token));
  return matches && given.length > 0 ? url.slice(end) : undefined;
}
