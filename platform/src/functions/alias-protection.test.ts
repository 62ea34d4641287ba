import { test } from "node:test";
import assert from "node:assert/strict";
import { isApiError } from "../../../protocol/errors.ts";
import type { Alias } from "../db/index.ts";
import { assertDeletable, assertDirectWrite, protectionAction } from "./alias-protection.ts";

const alias = (over: Partial<Alias> = {}): Alias =>
  ({ functionName: "fn", name: "live", version: 1, routingConfig: { additionalVersionWeights: { "2": 0.1 } }, description: "", protected: true, ...over }) as Alias;
const state = (version: number, weights: Record<string, number> = {}, description = "") => ({ version, routingConfig: { additionalVersionWeights: weights }, description });
const deployer = { id: "key:dep" };
const approver = { id: "key:boss", canApprove: true };
const code = (c: string) => (e: unknown) => isApiError(e) && e.code === c;

test("creating an alias is allowed, protected or not, by anyone who may write aliases", () => {
  assert.doesNotThrow(() => assertDirectWrite("fn", "live", null, state(3), true, deployer));
});

test("a protected alias refuses version and weight changes, even from an approver, but takes a new description", () => {
  assert.throws(() => assertDirectWrite("fn", "live", alias(), state(2, { "2": 0.1 }), undefined, approver), code("AliasProtected"));
  assert.throws(() => assertDirectWrite("fn", "live", alias(), state(1, {}), undefined, approver), code("AliasProtected"));
  assert.throws(() => assertDirectWrite("fn", "live", alias(), state(2), false, approver), code("AliasProtected"), "unprotecting and moving are two requests");
  assert.doesNotThrow(() => assertDirectWrite("fn", "live", alias(), state(1, { "2": 0.1 }, "new words"), undefined, deployer));
  assert.doesNotThrow(() => assertDirectWrite("fn", "live", alias({ protected: false }), state(5), undefined, deployer));
});

test("changing protection on an existing alias needs deployments:approve, either way", () => {
  assert.throws(() => assertDirectWrite("fn", "live", alias(), state(1, { "2": 0.1 }), false, deployer), code("Forbidden"));
  assert.throws(() => assertDirectWrite("fn", "live", alias({ protected: false }), state(1, { "2": 0.1 }), true, deployer), code("Forbidden"));
  assert.doesNotThrow(() => assertDirectWrite("fn", "live", alias(), state(1, { "2": 0.1 }), false, approver));
  assert.doesNotThrow(() => assertDirectWrite("fn", "live", alias(), state(1, { "2": 0.1 }), true, deployer), "restating it is no change");
});

test("a protected alias cannot be deleted; audit actions name protection changes", () => {
  assert.throws(() => assertDeletable("fn", "live", alias()), code("AliasProtected"));
  assert.doesNotThrow(() => assertDeletable("fn", "live", alias({ protected: false })));
  assert.deepEqual([protectionAction(true, true), protectionAction(false, true), protectionAction(true, false)], ["alias.update", "alias.protect", "alias.unprotect"]);
});
