import assert from "node:assert/strict";
import { test } from "node:test";
import { createServer } from "node:http";
import { connect, type AddressInfo } from "node:net";
import { answerClientErrors } from "./client-error.ts";

/** Send raw bytes and read the whole answer (the server closes the connection after it). */
function raw(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, "127.0.0.1", () => s.write(bytes));
    let out = "";
    s.setEncoding("utf8").on("data", (d) => (out += d)).on("end", () => resolve(out)).on("error", reject);
  });
}

function jsonBody(answer: string): { error: { code: string; message: string } } {
  return JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4));
}

test("requests the HTTP parser refuses get the API's JSON error shape, and the server keeps serving", async (t) => {
  const server = createServer((_req, res) => res.end("ok"));
  answerClientErrors(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.after(() => server.close());
  const { port } = server.address() as AddressInfo;

  const big = await raw(port, `GET /api/v1/functions?cursor=${"x".repeat(20_000)} HTTP/1.1\r\nHost: a\r\n\r\n`);
  assert.match(big, /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
  assert.match(big, /\r\nContent-Type: application\/json\r\n/);
  assert.equal(jsonBody(big).error.code, "RequestHeaderFieldsTooLarge");
  assert.match(jsonBody(big).error.message, /exceed 16 KiB/);

  const malformed = await raw(port, "GET /\x01 HTTP/1.1\r\nHost: a\r\n\r\n");
  assert.match(malformed, /^HTTP\/1\.1 400 Bad Request\r\n/);
  assert.equal(jsonBody(malformed).error.code, "ValidationError");

  const fine = await fetch(`http://127.0.0.1:${port}/`);
  assert.equal(await fine.text(), "ok");
});
