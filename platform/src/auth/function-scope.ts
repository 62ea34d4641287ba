/**
 * Function scopes: the function-name patterns (`["orders-*", "billing"]`) a key or token is limited
 * to. A pattern is a function name in which `*` stands for any run of characters; everything else
 * matches literally. Compiled once per pattern list (principals are shared across requests), so a
 * check on the invoke hot path is one cached regular-expression test.
 */

/** What a pattern may contain: a function name's characters plus `*`. */
export const FUNCTION_PATTERN = /^[a-zA-Z0-9_*-]{1,64}$/;

const compiled = new WeakMap<readonly string[], RegExp>();

function compile(patterns: readonly string[]): RegExp {
  let re = compiled.get(patterns);
  if (re === undefined) {
    const alternatives = patterns.map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*"));
    re = alternatives.length === 0 ? /(?!)/ : new RegExp(`^(?:${alternatives.join("|")})$`);
    compiled.set(patterns, re);
  }
  return re;
}

/** True when `name` matches one of `patterns`; an absent scope covers every function. */
export function inFunctionScope(patterns: readonly string[] | undefined, name: string): boolean {
  return patterns === undefined || compile(patterns).test(name);
}
