import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseRoutePath, routeShape } from "./triggers.ts";

describe("route paths", () => {
  it("parses literals, parameters and a last greedy parameter; shapes ignore parameter names", () => {
    assert.deepEqual(parseRoutePath("/"), []);
    assert.deepEqual(parseRoutePath("/a/{id}/{rest+}"), [
      { kind: "literal", value: "a" },
      { kind: "param", name: "id" },
      { kind: "proxy", name: "rest" },
    ]);
    assert.equal(routeShape("/a/{id}/b"), routeShape("/a/{other}/b"));
    assert.notEqual(routeShape("/a/{id}"), routeShape("/a/{id+}"));
    for (const bad of ["a", "/a/", "//", "/{a}/{a}", "/{p+}/x", "/a{b}", "/a b", "/{}"]) assert.throws(() => parseRoutePath(bad), bad);
  });
});
