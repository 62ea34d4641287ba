/**
 * The HTTP gateway's route matching, pure: a trie of route paths built from the enabled Http
 * triggers, matched segment by segment. At every level an exact segment beats a parameter, which
 * beats a greedy `{proxy+}` (backtracking when the preferred branch leads nowhere), and at the
 * matched node an exact method beats `ANY`. A path that some route matches under another method
 * is a 405 with the methods it has; no match at all is a 404.
 */
import { parseRoutePath, type HttpTriggerConfig } from "../../../protocol/api/triggers.ts";
import { decodeParam } from "../api/front-door/decode-param.ts";
import type { Principal } from "../auth/principal.ts";

/** One served route: a trigger's config for one of its methods. */
export interface HttpRoute {
  triggerId: string;
  functionName: string;
  qualifier: string;
  /** "GET /orders/{id}", or "ANY /orders/{id}". */
  routeKey: string;
  config: HttpTriggerConfig;
  /** Names of the route's parameters, in path order (the greedy one last). */
  paramNames: string[];
  /** The principal an `auth: "none"` route invokes as. */
  principal: Principal;
}

interface Node {
  literal: Map<string, Node>;
  param?: Node;
  /** Routes ending in a greedy parameter below this node, by method. */
  proxy?: Map<string, HttpRoute>;
  /** Routes ending at this node, by method (or ANY). */
  routes: Map<string, HttpRoute>;
}

export type RouteMatch =
  | { kind: "route"; route: HttpRoute; pathParameters: Record<string, string> }
  | { kind: "method-not-allowed"; allow: string[]; routes: HttpRoute[] }
  | { kind: "not-found" };

const newNode = (): Node => ({ literal: new Map(), routes: new Map() });

/** The routes of a set of Http triggers, ready to match requests. Immutable once built. */
export class HttpRouteSet {
  private readonly root = newNode();
  /** The functions routed, so a function's deletion can be noticed without a query. */
  readonly functions = new Set<string>();
  size = 0;

  /** Add a route for each of the trigger's methods. Later duplicates of a method+shape are ignored. */
  add(trigger: { triggerId: string; functionName: string; qualifier: string; config: HttpTriggerConfig; principal: Principal }): void {
    const segments = parseRoutePath(trigger.config.path);
    let node = this.root;
    let proxy = false;
    for (const s of segments) {
      if (s.kind === "literal") {
        let next = node.literal.get(s.value);
        if (!next) node.literal.set(s.value, (next = newNode()));
        node = next;
      } else if (s.kind === "param") {
        node = node.param ??= newNode();
      } else {
        proxy = true;
      }
    }
    const target = proxy ? (node.proxy ??= new Map()) : node.routes;
    const paramNames = segments.filter((s) => s.kind !== "literal").map((s) => (s as { name: string }).name);
    for (const method of trigger.config.methods) {
      if (target.has(method)) continue;
      target.set(method, { ...trigger, routeKey: `${method} ${trigger.config.path}`, paramNames });
      this.size++;
    }
    this.functions.add(trigger.functionName);
  }

  /**
   * Match a request. `rawPath` is the path after the gateway's prefix, percent-encoding intact:
   * segments are decoded one by one, so an encoded "/" inside a parameter stays in it.
   */
  match(method: string, rawPath: string): RouteMatch {
    const segments = rawPath === "/" || rawPath === "" ? [] : rawPath.replace(/^\//, "").split("/").map(decodeParam);
    const values: string[] = [];
    const found: Array<{ routes: Map<string, HttpRoute>; values: string[] }> = [];
    this.walk(this.root, segments, 0, values, found);
    for (const f of found) {
      const route = f.routes.get(method) ?? f.routes.get("ANY") ?? (method === "HEAD" ? f.routes.get("GET") : undefined);
      if (route) return { kind: "route", route, pathParameters: Object.fromEntries(route.paramNames.map((n, i) => [n, f.values[i]!])) };
    }
    if (found.length === 0) return { kind: "not-found" };
    const routes = found.flatMap((f) => [...f.routes.values()]);
    return { kind: "method-not-allowed", allow: [...new Set(routes.map((r) => r.routeKey.split(" ")[0]!))].sort(), routes };
  }

  /** Every node the path reaches, most specific first (exact, then parameter, then greedy). */
  private walk(node: Node, segments: string[], i: number, values: string[], found: Array<{ routes: Map<string, HttpRoute>; values: string[] }>): void {
    if (i === segments.length) {
      if (node.routes.size > 0) found.push({ routes: node.routes, values: [...values] });
      return;
    }
    const seg = segments[i]!;
    const exact = node.literal.get(seg);
    if (exact) this.walk(exact, segments, i + 1, values, found);
    if (node.param && seg !== "") {
      values.push(seg);
      this.walk(node.param, segments, i + 1, values, found);
      values.pop();
    }
    if (node.proxy) found.push({ routes: node.proxy, values: [...values, segments.slice(i).join("/")] });
  }
}
