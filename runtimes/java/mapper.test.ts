/**
 * The Java bootstrap's JSON mapper (MapperTest.java): the event shapes Lambda's Java runtime maps
 * into handler types and the results it writes back. Skipped without a JDK 17 except under
 * CI=true, where that is a failure (scripts/ci/ensure-java.sh installs one).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { javaMissing } from "../../tests/support/java-function.ts";
import { runJavaTestClass } from "./java-test-class.ts";

test("the Java mapper reads POJOs, records, generics, enums and numbers as Lambda does, and writes results back", { skip: javaMissing() }, async () => {
  assert.ok((await runJavaTestClass("MapperTest")) >= 30);
});
