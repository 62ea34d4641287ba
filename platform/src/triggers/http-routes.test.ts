import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { HttpTriggerConfig } from "../../../protocol/api/triggers.ts";
import { HttpRouteSet } from "./http-routes.ts";
import { triggerPrincipal } from "./http-route-table.ts";

function routes(...defs: Array<[id: string, methods: string[], path: string]>): HttpRouteSet {
  const set = new HttpRouteSet();
  for (const [id, methods, path] of defs) {
    set.add({ triggerId: id, functionName: `fn-${id}`, qualifier: "$LATEST", config: HttpTriggerConfig.parse({ methods, path }), principal: triggerPrincipal(id) });
  }
  return set;
}

const winner = (set: HttpRouteSet, method: string, path: string) => {
  const m = set.match(method, path);
  return m.kind === "route" ? { id: m.route.triggerId, params: m.pathParameters, key: m.route.routeKey } : m.kind;
};

describe("HttpRouteSet", () => {
  const set = routes(
    ["param", ["GET", "POST"], "/orders/{id}"],
    ["exact", ["GET"], "/orders/special"],
    ["greedy", ["ANY"], "/orders/{proxy+}"],
    ["items", ["GET"], "/orders/{orderId}/items/{itemId}"],
    ["root", ["GET"], "/"],
    ["any", ["ANY"], "/things"],
    ["anyget", ["GET"], "/things"],
  );

  it("prefers an exact segment over a parameter over a greedy parameter", () => {
    assert.deepEqual(winner(set, "GET", "/orders/special"), { id: "exact", params: {}, key: "GET /orders/special" });
    assert.deepEqual(winner(set, "GET", "/orders/42"), { id: "param", params: { id: "42" }, key: "GET /orders/{id}" });
    assert.deepEqual(winner(set, "GET", "/orders/42/x/y"), { id: "greedy", params: { proxy: "42/x/y" }, key: "ANY /orders/{proxy+}" });
    assert.deepEqual(winner(set, "GET", "/orders/1/items/2"), { id: "items", params: { orderId: "1", itemId: "2" }, key: "GET /orders/{orderId}/items/{itemId}" });
  });

  it("falls back to a less specific route that has the method (a POST to /orders/special is the parameter route's)", () => {
    assert.deepEqual(winner(set, "POST", "/orders/special"), { id: "param", params: { id: "special" }, key: "POST /orders/{id}" });
    assert.deepEqual(winner(set, "DELETE", "/orders/special"), { id: "greedy", params: { proxy: "special" }, key: "ANY /orders/{proxy+}" });
  });

  it("prefers an exact method over ANY, and answers HEAD from GET", () => {
    assert.equal((winner(set, "GET", "/things") as { id: string }).id, "anyget");
    assert.equal((winner(set, "PUT", "/things") as { id: string }).id, "any");
    assert.equal((winner(set, "HEAD", "/") as { id: string }).id, "root");
  });

  it("decodes each segment on its own, so an encoded slash stays inside a parameter", () => {
    assert.deepEqual(winner(set, "GET", "/orders/a%2Fb"), { id: "param", params: { id: "a/b" }, key: "GET /orders/{id}" });
    assert.deepEqual(winner(set, "GET", "/orders/sp%65cial"), { id: "exact", params: {}, key: "GET /orders/special" });
  });

  it("says 405 with the allowed methods, or 404", () => {
    const only = routes(["a", ["GET", "PUT"], "/a/{x}"], ["b", ["POST"], "/a/{y}"]);
    const m = only.match("DELETE", "/a/1");
    assert.equal(m.kind, "method-not-allowed");
    assert.deepEqual(m.kind === "method-not-allowed" && m.allow, ["GET", "POST", "PUT"], "every method routed on that shape");
    assert.equal(only.match("GET", "/b").kind, "not-found");
    assert.equal(only.match("GET", "/a").kind, "not-found");
    assert.equal(only.match("GET", "/a/1/2").kind, "not-found");
    assert.equal(only.match("GET", "/a/").kind, "not-found", "an empty segment is no parameter value");
  });

  it("a greedy route needs at least one segment", () => {
    const g = routes(["g", ["ANY"], "/files/{proxy+}"]);
    assert.equal(g.match("GET", "/files").kind, "not-found");
    assert.equal(g.match("GET", "/files/a").kind, "route");
  });

  it("keeps the first trigger for a method and shape, and knows the functions it routes", () => {
    const dup = routes(["first", ["GET"], "/x/{a}"], ["second", ["GET", "POST"], "/x/{b}"]);
    assert.equal((winner(dup, "GET", "/x/1") as { id: string }).id, "first");
    assert.equal((winner(dup, "POST", "/x/1") as { id: string }).id, "second");
    assert.equal(dup.size, 2);
    assert.deepEqual([...dup.functions].sort(), ["fn-first", "fn-second"]);
  });
});
