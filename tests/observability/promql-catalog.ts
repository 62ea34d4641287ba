/**
 * Every PromQL expression HotSwap ships: each dashboard panel target (template variables
 * substituted as Grafana would for "All"), each dashboard variable's label_values() query as the
 * series it reads, and each recording and alert rule. For an alert, `probe` is the expression
 * without its threshold (and without `absent()`), which returns data whenever the series it
 * watches exist, fire or not.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

export interface Expression {
  /** Where it comes from, for failure messages: `hotswap-overview.json: Error ratio`. */
  where: string;
  expr: string;
  /** What to query to show the expression has data (the expression itself unless an alert). */
  probe: string;
}

/** Grafana's global variables, as a 1-second scrape makes sense of them. */
const GRAFANA_GLOBALS: Record<string, string> = { __rate_interval: "1m", __interval: "15s", __range: "5m" };

/** Substitute `$var` / `${var}`: Grafana globals, then dashboard variables at their "All" value. */
export function substitute(expr: string, variables: Record<string, string>): string {
  return expr.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, a: string | undefined, b: string | undefined) => {
    const name = (a ?? b)!;
    return GRAFANA_GLOBALS[name] ?? variables[name] ?? whole;
  });
}

export function dashboardExpressions(dir: string): Expression[] {
  const out: Expression[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".json")).sort()) {
    const d = JSON.parse(readFileSync(join(dir, file), "utf8"));
    const variables: Record<string, string> = {};
    for (const v of d.templating?.list ?? []) {
      variables[v.name] = v.allValue ?? ".*";
      const q: string = typeof v.query === "string" ? v.query : (v.query?.query ?? v.definition ?? "");
      const m = /^label_values\((.+),\s*(\w+)\)$/.exec(q.trim());
      if (m) out.push({ where: `${file}: variable $${v.name}`, expr: q, probe: `count by (${m[2]}) (${m[1]})` });
    }
    const walk = (panels: any[]) => {
      for (const p of panels ?? []) {
        for (const t of p.targets ?? []) {
          if (!t.expr) continue;
          const expr = substitute(t.expr, variables);
          if (/\$\w/.test(expr)) throw new Error(`${file}: ${p.title}: unknown template variable in ${t.expr}`);
          out.push({ where: `${file}: ${p.title}${t.refId ? ` (${t.refId})` : ""}`, expr, probe: expr });
        }
        walk(p.panels);
      }
    };
    walk(d.panels);
  }
  return out;
}

export function ruleExpressions(file: string): Expression[] {
  const doc = parse(readFileSync(file, "utf8"));
  const out: Expression[] = [];
  for (const g of doc.groups ?? []) {
    for (const r of g.rules ?? []) {
      const expr = String(r.expr).trim();
      if (r.record) {
        out.push({ where: `rule ${r.record}`, expr, probe: expr });
        out.push({ where: `recorded series ${r.record}`, expr: r.record, probe: r.record });
      } else {
        out.push({ where: `alert ${r.alert}`, expr, probe: withoutThreshold(expr) });
      }
    }
  }
  return out;
}

/** `absent(x == 1)` → `x == 1`; `x > 0.05` → `x`: what an alert watches, whether or not it fires. */
export function withoutThreshold(expr: string): string {
  const absent = /^absent\(([\s\S]+)\)$/.exec(expr);
  if (absent) return absent[1]!.trim();
  return expr.replace(/\s*(==|!=|>=|<=|>|<)\s*[-+]?[0-9.]+(e[-+]?\d+)?\s*$/i, "").trim();
}
