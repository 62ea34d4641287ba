/**
 * A path segment decoded as Hono decodes a route parameter, so names given percent-encoded mean
 * what they always meant: a full decode, and where a sequence is malformed, the well-formed runs
 * decoded and the rest kept as sent.
 */
export function decodeParam(segment: string): string {
  if (!segment.includes("%")) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
      try {
        return decodeURIComponent(run);
      } catch {
        return run;
      }
    });
  }
}
