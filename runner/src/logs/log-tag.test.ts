/** The request tag the bootstraps write: parsed exactly, and anything malformed left as text. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { LOG_TAG_MAX_ID_LENGTH } from "../../../protocol/function-logs.ts";
import { parseTag, tagLine } from "./log-tag.ts";

test("reads the request id and the text after the tag", () => {
  assert.deepEqual(parseTag("\x1ereq-1\x1fhello world"), { requestId: "req-1", message: "hello world" });
  assert.deepEqual(parseTag(tagLine("a-b-c", "")), { requestId: "a-b-c", message: "" });
  assert.deepEqual(parseTag("\x1eid\x1fkeeps \x1f and \x1e inside"), { requestId: "id", message: "keeps \x1f and \x1e inside" });
});

test("an untagged, unterminated, empty-id or overlong tag is no tag", () => {
  assert.equal(parseTag("plain line"), undefined);
  assert.equal(parseTag(" \x1eid\x1fnot at the start"), undefined);
  assert.equal(parseTag("\x1eno end"), undefined);
  assert.equal(parseTag("\x1e\x1fempty id"), undefined);
  assert.equal(parseTag(`\x1e${"x".repeat(LOG_TAG_MAX_ID_LENGTH + 1)}\x1ftoo long`), undefined);
  assert.deepEqual(parseTag(`\x1e${"x".repeat(LOG_TAG_MAX_ID_LENGTH)}\x1fjust fits`)?.message, "just fits");
  assert.equal(parseTag(""), undefined);
});
