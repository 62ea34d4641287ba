/** Error documents: kept as the runtime posted them, read whatever the runtime called its fields, and reshaped for HotSwap's path. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { errorDocument, errorFields, hotswapErrorBody } from "./error-document.ts";

const node = Buffer.from('{"errorType":"TypeError","errorMessage":"x is not a function","trace":["TypeError: x is not a function","    at handler (/var/task/index.js:2:3)"]}');
const python = Buffer.from('{"errorMessage": "boom", "errorType": "ValueError", "requestId": "r-1", "stackTrace": ["  File \\"handler.py\\", line 3"]}');

test("a JSON object a runtime posts is kept byte for byte, whatever its shape", () => {
  assert.equal(errorDocument(node), node);
  assert.equal(errorDocument(python, "Unhandled"), python);
  const custom = Buffer.from('{"message":"no errorType at all"}');
  assert.equal(errorDocument(custom), custom);
});

test("a body that is not a JSON object becomes a document: the header's type, the text as the message", () => {
  assert.deepEqual(JSON.parse(errorDocument(Buffer.from("plain failure"), "Runtime.Custom").toString()), { errorType: "Runtime.Custom", errorMessage: "plain failure", stackTrace: [] });
  assert.deepEqual(JSON.parse(errorDocument(Buffer.from('"a json string"')).toString()), { errorType: "Runtime.Unknown", errorMessage: "a json string", stackTrace: [] });
  assert.deepEqual(JSON.parse(errorDocument(Buffer.from("[1,2]")).toString()), { errorType: "Runtime.Unknown", errorMessage: "[1,2]", stackTrace: [] });
  assert.deepEqual(JSON.parse(errorDocument(Buffer.alloc(0)).toString()), { errorType: "Runtime.Unknown", errorMessage: "", stackTrace: [] });
});

test("fields are read from Node's `trace` and Python's `stackTrace`; HotSwap's body has exactly errorType, errorMessage, stackTrace", () => {
  assert.deepEqual(errorFields(node), { errorType: "TypeError", errorMessage: "x is not a function", stackTrace: ["TypeError: x is not a function", "    at handler (/var/task/index.js:2:3)"] });
  assert.deepEqual(JSON.parse(hotswapErrorBody(python).toString()), { errorType: "ValueError", errorMessage: "boom", stackTrace: ['  File "handler.py", line 3'] });
  assert.deepEqual(errorFields(Buffer.from('{"errorMessage":"m"}'), "Runtime.InitError").errorType, "Runtime.InitError");
});
